package dev.extproc.app.e2e;

import static java.util.Objects.requireNonNull;

import dev.extproc.client.Request;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One request a test client sends.
 *
 * @param method the HTTP method
 * @param path the request path (with query, if any)
 * @param body the body, generated while sending
 * @param framing how the body length is announced
 * @param headers extra request headers (lower-case names)
 * @param trailers request trailers (lower-case names); empty for none. HTTP/1.1 needs {@link
 *     Framing#CHUNKED} to carry them.
 * @param abortAfterBytes when >= 0, the client closes the connection once this many body bytes
 *     are written instead of finishing the request
 * @param timeout how long the whole exchange may take before the client gives up
 * @param gate when not null, holds the upload at a given offset until the test resumes or aborts it
 */
record TestRequest(
    String method,
    String path,
    BodySource body,
    Framing framing,
    Map<String, String> headers,
    Map<String, String> trailers,
    long abortAfterBytes,
    Duration timeout,
    UploadGate gate) {

  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  TestRequest {
    requireNonNull(method, "method");
    requireNonNull(path, "path");
    requireNonNull(body, "body");
    requireNonNull(framing, "framing");
    headers = Map.copyOf(headers);
    trailers = Map.copyOf(trailers);
    requireNonNull(timeout, "timeout");
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("path: " + path + " (expected: starting with /)");
    }
    if (!trailers.isEmpty() && framing == Framing.CONTENT_LENGTH) {
      // Over HTTP/2 this is legal, but keep one rule for both protocols: trailers go with CHUNKED.
      throw new IllegalArgumentException("trailers: " + trailers + " (expected: framing CHUNKED)");
    }
  }

  /** Returns a POST of {@code body} to {@code path} with no extra headers, trailers or abort. */
  static TestRequest post(String path, BodySource body, Framing framing) {
    return new TestRequest("POST", path, body, framing, Map.of(), Map.of(), -1, DEFAULT_TIMEOUT, null);
  }

  TestRequest withTrailers(Map<String, String> newTrailers) {
    return new TestRequest(method, path, body, framing, headers, newTrailers, abortAfterBytes, timeout, gate);
  }

  TestRequest withHeader(String name, String value) {
    Map<String, String> more = new LinkedHashMap<>(headers);
    more.put(name, value);
    return new TestRequest(method, path, body, framing, more, trailers, abortAfterBytes, timeout, gate);
  }

  TestRequest abortingAfter(long bytes) {
    if (bytes < 0 || bytes > body.length()) {
      throw new IllegalArgumentException(
          "abortAfterBytes: " + bytes + " (expected: within [0, " + body.length() + "])");
    }
    return new TestRequest(method, path, body, framing, headers, trailers, bytes, timeout, gate);
  }

  TestRequest withTimeout(Duration newTimeout) {
    return new TestRequest(method, path, body, framing, headers, trailers, abortAfterBytes, newTimeout, gate);
  }

  TestRequest withGate(UploadGate newGate) {
    if (newGate.pauseAt() > body.length()) {
      throw new IllegalArgumentException(
          "gate.pauseAt: " + newGate.pauseAt() + " (expected: <= body length " + body.length() + ")");
    }
    return new TestRequest(method, path, body, framing, headers, trailers, abortAfterBytes, timeout, newGate);
  }

  /** Returns the HTTP client's request for {@code protocol} (DATA in 32 KiB writes over HTTP/2, 64 KiB over HTTP/1.1). */
  Request toClientRequest(Protocol protocol) {
    return new Request(method, path, body, framing.wire(), headers, trailers, abortAfterBytes, timeout, gate,
        protocol == Protocol.HTTP_2 ? 32 * 1024 : 64 * 1024);
  }

  boolean aborts() {
    return abortAfterBytes >= 0;
  }

  /** Returns the body bytes the client writes: all of them, or the abort point. */
  long bytesToSend() {
    return aborts() ? abortAfterBytes : body.length();
  }

  @Override
  public String toString() {
    return method + " " + path + " " + body.length() + " B " + framing
        + (trailers.isEmpty() ? "" : " trailers " + trailers.keySet())
        + (aborts() ? " aborting after " + abortAfterBytes + " B" : "")
        + (gate != null ? " gated at " + gate.pauseAt() + " B" : "");
  }
}
