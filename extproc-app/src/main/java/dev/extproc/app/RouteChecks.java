package dev.extproc.app;

import dev.extproc.stack.LocalStack;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
    byte[] body = body(bodySize);
    String expected = sha256(body);
    byte[] small = body(1024);
    String smallDigest = sha256(small);
    for (String route : ROUTES) {
      send("ext_proc", stack.extProcUri(), route, small, smallDigest, timeout);
    }
    stack.envoyAdmin().resetCounters();
    List<Result> results = new ArrayList<>();
    for (String route : ROUTES) {
      Result result = send("ext_proc", stack.extProcUri(), route, body, expected, timeout);
      boolean overBufferedLimit = route.equals("/buffered") && body.length > stack.tuning().bufferedRouteBufferLimitBytes();
      results.add(overBufferedLimit ? result.markedOverLimit() : result);
    }
    results.add(send("baseline", stack.baselineUri(), "/streamed", body, expected, timeout));
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
   * POSTs {@code body} over one HTTP/1.1 connection, writing on one thread while reading the response
   * on this one. Reading while writing matters: the echo backend streams the body back as it arrives,
   * so a client that reads only after sending everything (as java.net.http does over HTTP/1.1)
   * deadlocks once the bytes in flight exceed the buffers along the path.
   */
  private static Result send(String listener, URI base, String path, byte[] body,
      String expectedDigest, Duration timeout) {
    long start = System.nanoTime();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
      OutputStream out = socket.getOutputStream();
      CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
        try {
          String head = "POST " + path + " HTTP/1.1\r\nhost: " + base.getHost() + ":" + base.getPort()
              + "\r\ncontent-type: application/octet-stream\r\ncontent-length: " + body.length
              + "\r\nconnection: close\r\n\r\n";
          out.write(head.getBytes(StandardCharsets.US_ASCII));
          for (int offset = 0; offset < body.length; offset += 64 * 1024) {
            out.write(body, offset, Math.min(64 * 1024, body.length - offset));
          }
          out.flush();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }, runnable -> {
        Thread writer = new Thread(runnable, "demo-upload " + path);
        writer.setDaemon(true);
        writer.start();
      });
      InputStream in = new java.io.BufferedInputStream(socket.getInputStream(), 64 * 1024);
      String statusLine = readLine(in);
      String[] parts = statusLine.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
        throw new IOException("not an HTTP/1.1 status line: " + statusLine);
      }
      int status = Integer.parseInt(parts[1]);
      long contentLength = -1;
      boolean chunked = false;
      for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
        int colon = line.indexOf(':');
        String name = colon < 0 ? line : line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
        String value = colon < 0 ? "" : line.substring(colon + 1).strip();
        if (name.equals("content-length")) {
          contentLength = Long.parseLong(value);
        } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
          chunked = true;
        }
      }
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      long received;
      if (chunked) {
        received = 0;
        while (true) {
          String sizeLine = readLine(in);
          int semicolon = sizeLine.indexOf(';');
          long size = Long.parseLong((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).strip(), 16);
          if (size == 0) {
            while (!readLine(in).isEmpty()) {
              // trailers: not compared
            }
            break;
          }
          received += copy(in, size, digest);
          readLine(in);
        }
      } else if (contentLength >= 0) {
        received = copy(in, contentLength, digest);
      } else {
        received = copy(in, Long.MAX_VALUE, digest);
      }
      written.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      Duration time = Duration.ofNanos(System.nanoTime() - start);
      boolean match = HexFormat.of().formatHex(digest.digest()).equals(expectedDigest);
      return new Result(listener, path, status, body.length, received, match, time, "", false);
    } catch (IOException | RuntimeException | NoSuchAlgorithmException | ExecutionException | TimeoutException e) {
      return new Result(listener, path, -1, body.length, 0, false, Duration.ofNanos(System.nanoTime() - start),
          e.toString(), false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(listener, path, -1, body.length, 0, false, Duration.ofNanos(System.nanoTime() - start),
          "interrupted", false);
    }
  }

  /** Copies up to {@code limit} bytes (all of a known length, or to end of stream) into the digest. */
  private static long copy(InputStream in, long limit, MessageDigest digest) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    while (total < limit) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - total));
      if (n < 0) {
        if (limit == Long.MAX_VALUE) {
          break;
        }
        throw new IOException("connection closed after " + total + " of " + limit + " body bytes");
      }
      digest.update(buffer, 0, n);
      total += n;
    }
    return total;
  }

  /** One CRLF-terminated line, without the line end. */
  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new IOException("connection closed in the middle of a line: " + line);
      }
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return line.toString();
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
