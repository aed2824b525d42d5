package dev.extproc.app.e2e;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A streaming HTTP test client (on the project's {@link dev.extproc.client.HttpClient}): one connection per exchange, request body generated while sent,
 * response body digested while received, bounded waits. Closing it stops its event loop.
 */
interface TestHttpClient extends AutoCloseable {

  /** Returns the protocol this client speaks. */
  Protocol protocol();

  /**
   * Starts one exchange on a new connection to {@code target}. The future completes with what was
   * seen (whatever the outcome), or exceptionally with a {@link TimeoutException} describing the
   * progress when the request's timeout passes first.
   */
  CompletableFuture<TestResponse> start(InetSocketAddress target, TestRequest request);

  /** Runs one exchange and waits for its end (bounded by the request's timeout). */
  default TestResponse exchange(InetSocketAddress target, TestRequest request) {
    CompletableFuture<TestResponse> future = start(target, request);
    try {
      // The exchange times itself out; the extra margin only guards against a stuck event loop.
      return future.get(request.timeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError(protocol() + " " + request + " to " + target + " failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError(protocol() + " " + request + " to " + target + ": the client's event loop is stuck", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + request, e);
    }
  }

  /** Returns a client for {@code protocol}. */
  static TestHttpClient of(Protocol protocol) {
    return new NettyTestHttpClient(protocol);
  }

  @Override
  void close();
}
