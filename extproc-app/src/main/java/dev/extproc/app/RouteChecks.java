package dev.extproc.app;

import dev.extproc.client.HttpClient;
import dev.extproc.client.HttpProtocol;
import dev.extproc.client.Request;
import dev.extproc.client.RequestBody;
import dev.extproc.client.Response;
import dev.extproc.stack.LocalStack;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeoutException;

/**
 * The demo's checks: one POST per route of the ext_proc listener and one to the baseline listener,
 * each with the same deterministic body, comparing the echoed body by SHA-256.
 */
final class RouteChecks {

  /** The ext_proc listener's routes, one per body mode (docs/interfaces.md). */
  static final List<String> ROUTES =
      List.of("/streamed", "/full-duplex-streamed", "/buffered", "/buffered-partial", "/headers-only");

  /**
   * The outcome of one request.
   *
   * @param listener {@code ext_proc} or {@code baseline}
   * @param path the route
   * @param status HTTP status, -1 if the request failed
   * @param bytesSent request body bytes
   * @param bytesReceived response body bytes
   * @param digestMatch whether the response body's SHA-256 equals the request body's
   * @param time from sending to the end of the response body
   * @param error what went wrong, empty if nothing
   * @param overLimit the body is larger than the route's BUFFERED limit, so Envoy must reject it
   */
  record Result(String listener, String path, int status, long bytesSent, long bytesReceived, boolean digestMatch,
      Duration time, String error, boolean overLimit) {

    boolean ok() {
      // Over the limit Envoy answers 413 and closes; the client may see the close (a reset) first.
      return overLimit ? status == 413 || status == -1 : status == 200 && digestMatch && error.isEmpty();
    }

    Result markedOverLimit() {
      return new Result(listener, path, status, bytesSent, bytesReceived, digestMatch, time, error, true);
    }
  }

  private RouteChecks() {}

  /**
   * Sends one request per route and one to the baseline; never throws for a failed request. First
   * sends a small warm-up request per route (the first request through a fresh JVM pays for class
   * loading and JIT, seconds on a small machine), then resets Envoy's counters so that the stats
   * shown afterwards are those of the checks alone.
   */
  static List<Result> run(LocalStack stack, int bodySize, Duration timeout) {
    return run(stack, bodySize, timeout, () -> {});
  }

  /**
   * Like {@link #run(LocalStack, int, Duration)}; {@code afterWarmUp} runs once the warm-up requests
   * ended and Envoy's counters were reset (to snapshot the ext_proc server's counters, which cannot
   * be reset).
   */
  static List<Result> run(LocalStack stack, int bodySize, Duration timeout, Runnable afterWarmUp) {
    byte[] body = body(bodySize);
    String expected = sha256(body);
    byte[] small = body(1024);
    String smallDigest = sha256(small);
    try (HttpClient client = new HttpClient()) {
      for (String route : ROUTES) {
        send(client, "ext_proc", stack.extProcUri(), route, small, smallDigest, timeout);
      }
      stack.envoyAdmin().resetCounters();
      afterWarmUp.run();
      List<Result> results = new ArrayList<>();
      for (String route : ROUTES) {
        Result result = send(client, "ext_proc", stack.extProcUri(), route, body, expected, timeout);
        boolean overBufferedLimit = route.equals("/buffered") && body.length > stack.tuning().bufferedRouteBufferLimitBytes();
        results.add(overBufferedLimit ? result.markedOverLimit() : result);
      }
      results.add(send(client, "baseline", stack.baselineUri(), "/streamed", body, expected, timeout));
      return results;
    }
  }

  /** Prints the results as a table. */
  static void print(List<Result> results, PrintStream out) {
    out.printf(Locale.ROOT, "%-9s %-22s %6s %10s %10s %7s %9s%n",
        "listener", "route", "status", "sent", "received", "digest", "time");
    for (Result r : results) {
      out.printf(Locale.ROOT, "%-9s %-22s %6s %10d %10d %7s %6d ms%s%n",
          r.listener(), r.path(), r.status() < 0 ? "-" : Integer.toString(r.status()), r.bytesSent(),
          r.bytesReceived(), r.digestMatch() ? "yes" : "NO", r.time().toMillis(),
          (r.overLimit() ? "  over the route's BUFFERED limit: must be rejected (413 or reset): "
              + (r.ok() ? "ok" : "NOT REJECTED") : "")
              + (r.error().isEmpty() ? "" : "  " + r.error()));
    }
  }

  /** A deterministic pseudo-random body (fixed seed), the same on every run. */
  static byte[] body(int size) {
    byte[] body = new byte[size];
    SplittableRandom random = new SplittableRandom(0x5eed_0001L);
    for (int i = 0; i < size; i++) {
      body[i] = (byte) random.nextInt(256);
    }
    return body;
  }

  /**
   * POSTs {@code body} over one HTTP/1.1 connection of the project's HTTP client, which reads the
   * response while it writes the request: the echo backend streams the body back as it arrives, so a
   * client that reads only after sending everything (as java.net.http does over HTTP/1.1) deadlocks
   * once the bytes in flight exceed the buffers along the path.
   */
  private static Result send(HttpClient client, String listener, URI base, String path, byte[] body,
      String expectedDigest, Duration timeout) {
    long start = System.nanoTime();
    Request request = Request.post(path, RequestBody.ofBytes(body))
        .withHeader("content-type", "application/octet-stream")
        .withTimeout(timeout);
    try {
      Response response = client.exchange(new InetSocketAddress(base.getHost(), base.getPort()), HttpProtocol.HTTP_1_1,
          request);
      boolean complete = response.outcome() == Response.Outcome.COMPLETE;
      return new Result(listener, path, complete ? response.status() : -1, response.bytesSent(),
          response.body().length(), complete && response.body().sha256().equals(expectedDigest), response.elapsed(),
          complete ? "" : response.outcome() + " " + response.detail(), false);
    } catch (TimeoutException | RuntimeException e) {
      return new Result(listener, path, -1, body.length, 0, false, Duration.ofNanos(System.nanoTime() - start),
          e.toString(), false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(listener, path, -1, body.length, 0, false, Duration.ofNanos(System.nanoTime() - start),
          "interrupted", false);
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
