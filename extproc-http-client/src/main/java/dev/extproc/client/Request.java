package dev.extproc.client;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One request a {@link HttpClient} sends. Immutable; the {@code with...} methods return copies.
 *
 * @param method the HTTP method
 * @param path the request path (with query, if any)
 * @param body the body, read while sending
 * @param framing how the body length is announced
 * @param headers extra request headers (lower-case names, in order)
 * @param trailers request trailers (lower-case names); empty for none. They need {@link
 *     BodyFraming#CHUNKED}.
 * @param abortAfterBytes when >= 0, the client ends the exchange once this many body bytes are
 *     written instead of finishing the request (closes the HTTP/1.1 connection, resets the stream)
 * @param timeout how long the whole exchange may take before the client gives up
 * @param gate when not null, holds the upload at a given offset until the caller resumes or aborts it
 * @param chunkBytes bytes per body write; the connection's writability bounds what is queued
 */
public record Request(
    String method,
    String path,
    RequestBody body,
    BodyFraming framing,
    Map<String, String> headers,
    Map<String, String> trailers,
    long abortAfterBytes,
    Duration timeout,
    UploadGate gate,
    int chunkBytes) {

  /** The default timeout of an exchange. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  /** The default body write size. */
  public static final int DEFAULT_CHUNK_BYTES = 64 * 1024;

  public Request {
    requireNonNull(method, "method");
    requireNonNull(path, "path");
    requireNonNull(body, "body");
    requireNonNull(framing, "framing");
    headers = lowerCaseCopy(headers);
    trailers = lowerCaseCopy(trailers);
    requireNonNull(timeout, "timeout");
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("path: " + path + " (expected: starting with /)");
    }
    if (!trailers.isEmpty() && framing == BodyFraming.CONTENT_LENGTH) {
      // Over HTTP/2 this is legal, but keep one rule for both protocols: trailers go with CHUNKED.
      throw new IllegalArgumentException("trailers: " + trailers.keySet() + " (expected: framing CHUNKED)");
    }
    if (abortAfterBytes > body.length()) {
      throw new IllegalArgumentException(
          "abortAfterBytes: " + abortAfterBytes + " (expected: within [0, " + body.length() + "])");
    }
    if (gate != null && gate.pauseAt() > body.length()) {
      throw new IllegalArgumentException(
          "gate.pauseAt: " + gate.pauseAt() + " (expected: <= body length " + body.length() + ")");
    }
    if (chunkBytes < 1) {
      throw new IllegalArgumentException("chunkBytes: " + chunkBytes + " (expected: >= 1)");
    }
  }

  /** Returns a {@code content-length} POST of {@code body} to {@code path}. */
  public static Request post(String path, RequestBody body) {
    return post(path, body, BodyFraming.CONTENT_LENGTH);
  }

  /** Returns a POST of {@code body} to {@code path} with no extra headers, trailers or abort. */
  public static Request post(String path, RequestBody body, BodyFraming framing) {
    return new Request("POST", path, body, framing, Map.of(), Map.of(), -1, DEFAULT_TIMEOUT, null, DEFAULT_CHUNK_BYTES);
  }

  /** Returns a request without a body ({@code GET}, {@code HEAD}, ...). */
  public static Request of(String method, String path) {
    return new Request(method, path, RequestBody.empty(), BodyFraming.CONTENT_LENGTH, Map.of(), Map.of(), -1,
        DEFAULT_TIMEOUT, null, DEFAULT_CHUNK_BYTES);
  }

  public Request withTrailers(Map<String, String> newTrailers) {
    return new Request(method, path, body, framing, headers, newTrailers, abortAfterBytes, timeout, gate, chunkBytes);
  }

  /** Returns a copy with header {@code name} set to {@code value} (replacing an earlier value). */
  public Request withHeader(String name, String value) {
    Map<String, String> more = new LinkedHashMap<>(headers);
    more.put(name.toLowerCase(Locale.ROOT), value);
    return new Request(method, path, body, framing, more, trailers, abortAfterBytes, timeout, gate, chunkBytes);
  }

  public Request abortingAfter(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("abortAfterBytes: " + bytes + " (expected: >= 0)");
    }
    return new Request(method, path, body, framing, headers, trailers, bytes, timeout, gate, chunkBytes);
  }

  public Request withTimeout(Duration newTimeout) {
    return new Request(method, path, body, framing, headers, trailers, abortAfterBytes, newTimeout, gate, chunkBytes);
  }

  public Request withGate(UploadGate newGate) {
    return new Request(method, path, body, framing, headers, trailers, abortAfterBytes, timeout,
        requireNonNull(newGate, "gate"), chunkBytes);
  }

  public Request withChunkBytes(int newChunkBytes) {
    return new Request(method, path, body, framing, headers, trailers, abortAfterBytes, timeout, gate, newChunkBytes);
  }

  /** True while a gate holds the upload at {@code bytesSent}. */
  boolean pausedAt(long bytesSent) {
    return gate != null && !gate.isOpen() && bytesSent >= gate.pauseAt();
  }

  /** Returns whether the client ends the exchange mid-upload on purpose. */
  public boolean aborts() {
    return abortAfterBytes >= 0;
  }

  /** Returns the body bytes the client writes: all of them, or the abort point. */
  public long bytesToSend() {
    return aborts() ? abortAfterBytes : body.length();
  }

  private static Map<String, String> lowerCaseCopy(Map<String, String> fields) {
    Map<String, String> copy = new LinkedHashMap<>();
    fields.forEach((name, value) -> copy.put(name.toLowerCase(Locale.ROOT), requireNonNull(value, name)));
    return Collections.unmodifiableMap(copy);
  }

  @Override
  public String toString() {
    return method + " " + path + " " + body.length() + " B " + framing
        + (trailers.isEmpty() ? "" : " trailers " + trailers.keySet())
        + (aborts() ? " aborting after " + abortAfterBytes + " B" : "")
        + (gate != null ? " gated at " + gate.pauseAt() + " B" : "");
  }
}
