package dev.extproc.app.replicas;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP exchange through Envoy's ext_proc listener to the echo backend, judged by whether the
 * echo came back whole. Plain JDK client over HTTP/1.1 (one connection per exchange in flight).
 *
 * @param status the response status, or 0 when the exchange failed before one arrived
 * @param intact whether the status is 200 and the body equals what was sent
 * @param failure the exception that ended the exchange, or null
 * @param elapsed from start to the end of the response (or the failure)
 */
record Exchange(int status, boolean intact, Throwable failure, Duration elapsed) {

  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  /** Whether the exchange succeeded: 200 and the body echoed unchanged. */
  boolean ok() {
    return intact;
  }

  /** Posts {@code body} to {@code uri} and waits for the whole answer. */
  static Exchange post(URI uri, byte[] body) {
    return start(uri, HttpRequest.BodyPublishers.ofByteArray(body), body).join();
  }

  /**
   * Starts an upload that sends {@code first}, then holds the rest back until {@link Gate#open()}:
   * the exchange stays in flight on its replica meanwhile.
   */
  static CompletableFuture<Exchange> startGated(URI uri, byte[] first, byte[] rest, Gate gate) {
    byte[] whole = Arrays.copyOf(first, first.length + rest.length);
    System.arraycopy(rest, 0, whole, first.length, rest.length);
    return start(uri, HttpRequest.BodyPublishers.ofInputStream(() -> new GatedInput(first, rest, gate)), whole);
  }

  private static CompletableFuture<Exchange> start(URI uri, HttpRequest.BodyPublisher publisher, byte[] expected) {
    long started = System.nanoTime();
    HttpRequest request = HttpRequest.newBuilder(uri)
        .timeout(Duration.ofSeconds(60))
        .header("content-type", "application/octet-stream")
        .POST(publisher)
        .build();
    return CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
        .handle((response, error) -> {
          Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
          if (error != null) {
            return new Exchange(0, false, error, elapsed);
          }
          boolean intact = response.statusCode() == 200 && Arrays.equals(response.body(), expected);
          return new Exchange(response.statusCode(), intact, null, elapsed);
        });
  }

  /** A deterministic body of {@code length} bytes. */
  static byte[] body(int length, int seed) {
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++) {
      bytes[i] = (byte) (i * 31 + seed);
    }
    return bytes;
  }

  /** Holds gated uploads back until opened, once. */
  static final class Gate {
    private final CountDownLatch open = new CountDownLatch(1);

    void open() {
      open.countDown();
    }

    void await() throws IOException {
      try {
        if (!open.await(60, TimeUnit.SECONDS)) {
          throw new IOException("gate not opened within 60 s");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted at the gate", e);
      }
    }
  }

  /** {@code first}, then a wait at the gate, then {@code rest}. Read by the client's publisher thread. */
  private static final class GatedInput extends InputStream {
    private final byte[] first;
    private final byte[] rest;
    private final Gate gate;
    private int position;
    private boolean passedGate;

    GatedInput(byte[] first, byte[] rest, Gate gate) {
      this.first = first;
      this.rest = rest;
      this.gate = gate;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (position < first.length) {
        int n = Math.min(length, first.length - position);
        System.arraycopy(first, position, buffer, offset, n);
        position += n;
        return n;
      }
      if (!passedGate) {
        gate.await();
        passedGate = true;
      }
      int inRest = position - first.length;
      if (inRest >= rest.length) {
        return -1;
      }
      int n = Math.min(length, rest.length - inRest);
      System.arraycopy(rest, inRest, buffer, offset, n);
      position += n;
      return n;
    }
  }
}
