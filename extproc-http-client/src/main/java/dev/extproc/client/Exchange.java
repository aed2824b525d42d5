package dev.extproc.client;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One exchange under way: the future of its {@link Response} and live byte counters any thread may
 * read (for a progress display, or a test waiting for an echo to catch up). Everything else is
 * touched only on the connection's event loop.
 */
public final class Exchange {

  private final Request request;
  private final CompletableFuture<Response> result = new CompletableFuture<>();
  private final long startNanos = System.nanoTime();
  private final BodyDigest digest = new BodyDigest();
  private final ByteArrayOutputStream bodyHead = new ByteArrayOutputStream();
  private final Map<String, List<String>> headers = new LinkedHashMap<>();
  private final Map<String, List<String>> trailers = new LinkedHashMap<>();
  private volatile long bytesSent;
  private volatile long bytesReceived;
  private volatile Runnable abortAction;
  private java.util.function.Consumer<Response> endHook = response -> {};
  private int status;
  private long headersNanos = -1;
  /** True once the whole request (body end, trailers) was written. */
  boolean requestDone;
  /** True once the client ended the exchange on purpose (abort, cancel). */
  boolean clientAborted;

  Exchange(Request request) {
    this.request = request;
  }

  /** Returns the request. */
  public Request request() {
    return request;
  }

  /**
   * Returns the future of what was seen. It completes with a {@link Response} whatever the outcome
   * (reset, closed connection, ...), or exceptionally with a {@link TimeoutException} describing
   * the progress when the request's timeout passes first.
   */
  public CompletableFuture<Response> response() {
    return result;
  }

  /** Returns the request body bytes written so far. Any thread. */
  public long bytesSent() {
    return bytesSent;
  }

  /** Returns the response body bytes received so far. Any thread. */
  public long bytesReceived() {
    return bytesReceived;
  }

  /** Returns whether the exchange ended. */
  public boolean isDone() {
    return result.isDone();
  }

  /**
   * Ends the exchange from the client's side where it stands: resets the HTTP/2 stream of a shared
   * connection, or closes a connection the exchange owns. Any thread; no effect once it ended.
   */
  public void cancel() {
    Runnable action = abortAction;
    if (action != null) {
      action.run();
    }
  }

  /**
   * Waits for the end of the exchange (bounded by the request's timeout plus 5 s that only guard
   * against a stuck event loop).
   *
   * @throws TimeoutException when the exchange timed out
   * @throws ExecutionException when the exchange failed in a way that is not a {@link Response}
   */
  public Response await() throws InterruptedException, ExecutionException, TimeoutException {
    try {
      return result.get(request.timeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TimeoutException timeout) {
        throw timeout;
      }
      throw e;
    }
  }

  // ---- called on the event loop by the protocol handlers ----

  /**
   * Sets what the connection does when the exchange ends, before the future completes (so a caller
   * woken by the future finds the connection ready): receives the response, or null on a timeout.
   */
  void onEnd(java.util.function.Consumer<Response> hook) {
    this.endHook = hook;
  }

  void onAbort(Runnable action) {
    this.abortAction = action;
  }

  long sent() {
    return bytesSent;
  }

  void addSent(long n) {
    bytesSent += n;
  }

  void status(int code) {
    status = code;
    headersNanos = System.nanoTime() - startNanos;
  }

  void header(String name, String value) {
    headers.computeIfAbsent(name, n -> new ArrayList<>(1)).add(value);
  }

  void trailer(String name, String value) {
    trailers.computeIfAbsent(name, n -> new ArrayList<>(1)).add(value);
  }

  void data(ByteBuf content) {
    int readable = content.readableBytes();
    if (readable == 0) {
      return;
    }
    digest.update(content);
    int keep = Math.min(readable, Response.HEAD_BYTES - bodyHead.size());
    if (keep > 0) {
      byte[] head = new byte[keep];
      content.getBytes(content.readerIndex(), head);
      bodyHead.write(head, 0, keep);
    }
    bytesReceived += readable;
  }

  /** Completes the exchange (first call wins). */
  void complete(Response.Outcome outcome, String detail) {
    if (result.isDone()) {
      return;
    }
    Response response = new Response(outcome, status, headers, trailers, digest.finish(), bodyHead.toByteArray(),
        bytesSent, detail, Duration.ofNanos(System.nanoTime() - startNanos),
        headersNanos < 0 ? null : Duration.ofNanos(headersNanos));
    endHook.accept(response);
    result.complete(response);
  }

  /** Completes the exchange as ended by the client or by the connection, whichever it was. */
  void closed(String connectionDetail) {
    if (clientAborted) {
      complete(Response.Outcome.CLIENT_ABORTED, "client closed after " + bytesSent + " B");
    } else {
      complete(Response.Outcome.CONNECTION_CLOSED, connectionDetail);
    }
  }

  /** Fails the exchange because it did not end within the request's timeout. */
  void timeOut() {
    if (result.isDone()) {
      return;
    }
    endHook.accept(null);
    result.completeExceptionally(new TimeoutException(
        request + ": no end of exchange within " + request.timeout().toMillis() + " ms; so far: status "
            + status + ", sent " + bytesSent + " of " + request.bytesToSend()
            + " B (request " + (requestDone ? "complete" : "incomplete") + "), received "
            + bytesReceived + " B, headers " + headers));
  }
}
