package dev.extproc.app.e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * The progress of one client exchange, touched only on the connection's event loop, and the future
 * that completes with its {@link TestResponse}. Shared by the HTTP/1.1 and HTTP/2 clients.
 */
final class ExchangeState {

  final TestRequest request;
  final CompletableFuture<TestResponse> result = new CompletableFuture<>();
  private final long startNanos = System.nanoTime();
  private final BodyDigest digest = new BodyDigest();
  private final Map<String, List<String>> headers = new LinkedHashMap<>();
  private final Map<String, List<String>> trailers = new LinkedHashMap<>();
  private int status;
  /** Request body bytes handed to the connection. */
  long bytesSent;
  /** True once the whole request (body end, trailers) was written. */
  boolean requestDone;
  /** True once the client closed the connection on purpose (abort after N bytes). */
  boolean clientAborted;

  ExchangeState(TestRequest request) {
    this.request = request;
  }

  boolean done() {
    return result.isDone();
  }

  void status(int code) {
    status = code;
  }

  int status() {
    return status;
  }

  void header(String name, String value) {
    headers.computeIfAbsent(name, n -> new ArrayList<>(1)).add(value);
  }

  void trailer(String name, String value) {
    trailers.computeIfAbsent(name, n -> new ArrayList<>(1)).add(value);
  }

  BodyDigest digest() {
    return digest;
  }

  /** Completes the exchange (first call wins). */
  void complete(TestResponse.Outcome outcome, String detail) {
    if (result.isDone()) {
      return;
    }
    result.complete(
        new TestResponse(
            outcome, status, headers, trailers, digest.finish(), bytesSent, detail,
            Duration.ofNanos(System.nanoTime() - startNanos)));
  }

  /** Fails the exchange because it did not end within the request's timeout. */
  void timeOut() {
    if (result.isDone()) {
      return;
    }
    result.completeExceptionally(
        new TimeoutException(
            request + ": no end of exchange within " + request.timeout().toMillis() + " ms; so far: status "
                + status + ", sent " + bytesSent + " of " + request.bytesToSend()
                + " B (request " + (requestDone ? "complete" : "incomplete") + "), received "
                + digest.length() + " B, headers " + headers));
  }
}
