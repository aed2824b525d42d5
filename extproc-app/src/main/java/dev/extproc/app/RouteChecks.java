package dev.extproc.app;

import dev.extproc.stack.LocalStack;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The demo's checks: one POST per route of the ext_proc listener and one to the baseline listener,
 * each with the same deterministic body, comparing the echoed body by SHA-256.
 */
final class RouteChecks {

  /** The ext_proc listener's routes, one per body mode (CONTRACTS.md). */
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
   */
  record Result(String listener, String path, int status, long bytesSent, long bytesReceived, boolean digestMatch,
      Duration time, String error) {

    boolean ok() {
      return status == 200 && digestMatch && error.isEmpty();
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
    byte[] body = body(bodySize);
    String expected = sha256(body);
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    byte[] small = body(1024);
    String smallDigest = sha256(small);
    for (String route : ROUTES) {
      send(client, "ext_proc", stack.extProcUri(), route, small, smallDigest, timeout);
    }
    stack.envoyAdmin().resetCounters();
    List<Result> results = new ArrayList<>();
    for (String route : ROUTES) {
      results.add(send(client, "ext_proc", stack.extProcUri(), route, body, expected, timeout));
    }
    results.add(send(client, "baseline", stack.baselineUri(), "/streamed", body, expected, timeout));
    return results;
  }

  /** Prints the results as a table. */
  static void print(List<Result> results, PrintStream out) {
    out.printf(Locale.ROOT, "%-9s %-22s %6s %10s %10s %7s %9s%n",
        "listener", "route", "status", "sent", "received", "digest", "time");
    for (Result r : results) {
      out.printf(Locale.ROOT, "%-9s %-22s %6s %10d %10d %7s %6d ms%s%n",
          r.listener(), r.path(), r.status() < 0 ? "-" : Integer.toString(r.status()), r.bytesSent(),
          r.bytesReceived(), r.digestMatch() ? "yes" : "NO", r.time().toMillis(),
          r.error().isEmpty() ? "" : "  " + r.error());
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

  private static Result send(HttpClient client, String listener, URI base, String path, byte[] body,
      String expectedDigest, Duration timeout) {
    HttpRequest request = HttpRequest.newBuilder(base.resolve(path))
        .timeout(timeout)
        .header("content-type", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
    long start = System.nanoTime();
    try {
      HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      long received = 0;
      try (InputStream in = response.body()) {
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = in.read(buffer)) >= 0; ) {
          digest.update(buffer, 0, n);
          received += n;
        }
      }
      Duration time = Duration.ofNanos(System.nanoTime() - start);
      boolean match = HexFormat.of().formatHex(digest.digest()).equals(expectedDigest);
      return new Result(listener, path, response.statusCode(), body.length, received, match, time, "");
    } catch (IOException | NoSuchAlgorithmException e) {
      return new Result(listener, path, -1, body.length, 0, false, Duration.ofNanos(System.nanoTime() - start),
          e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(listener, path, -1, body.length, 0, false, Duration.ofNanos(System.nanoTime() - start),
          "interrupted");
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
