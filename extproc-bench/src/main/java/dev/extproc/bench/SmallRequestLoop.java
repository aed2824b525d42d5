package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import dev.extproc.client.BodyDigest;
import dev.extproc.client.Connection;
import dev.extproc.client.HttpClient;
import dev.extproc.client.HttpProtocol;
import dev.extproc.client.Request;
import dev.extproc.client.RequestBody;
import dev.extproc.client.Response;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A closed loop of small POSTs: {@code connections} keep-alive connections, each sending the next request
 * as soon as the previous response arrived, for {@code duration}; every response must be 200 with the
 * request body echoed back (compared by SHA-256).
 */
public final class SmallRequestLoop {

  /** The body size of the small-request scenario: 1 KiB. */
  public static final int DEFAULT_BODY_BYTES = 1024;

  private final HttpClient client;

  /** Creates a loop on an event loop group the caller owns. */
  public SmallRequestLoop(EventLoopGroup group) {
    this.client = new HttpClient(requireNonNull(group, "group"));
  }

  /**
   * The outcome of a loop.
   *
   * @param completed responses that arrived within the duration, verified or not
   * @param failed responses that were not 200 with the request body, plus broken connections
   * @param elapsedNanos from the start to the end of the last connection
   * @param latencyMicros the latencies of the completed requests
   * @param firstError the first failure, or null
   */
  public record Result(long completed, long failed, long elapsedNanos, Histogram latencyMicros, String firstError) {
    /** Returns verified requests per second of elapsed time. */
    public double requestsPerSecond() {
      return elapsedNanos <= 0 ? 0 : (completed - failed) / (elapsedNanos / 1e9);
    }

    /** Returns how many responses were verified. */
    public long verified() {
      return completed - failed;
    }
  }

  /**
   * Runs the loop and waits for it.
   *
   * @param target {@code http://host:port/path}
   */
  public Result run(URI target, int connections, Duration duration, int bodyBytes) throws InterruptedException {
    requireNonNull(target, "target");
    requireNonNull(duration, "duration");
    if (connections < 1) {
      throw new IllegalArgumentException("connections: " + connections + " (expected: >= 1)");
    }
    if (bodyBytes < 0) {
      throw new IllegalArgumentException("bodyBytes: " + bodyBytes + " (expected: >= 0)");
    }
    byte[] payload = new byte[bodyBytes];
    new Random(42).nextBytes(payload);
    String path = target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath();
    Request request = Request.post(path, RequestBody.ofBytes(payload))
        .withHeader("content-type", "application/octet-stream");
    BodyDigest.Result expected = BodyDigest.Result.of(payload);
    Recorder recorder = new Recorder(3);
    long start = System.nanoTime();
    long deadline = start + duration.toNanos();
    InetSocketAddress address = new InetSocketAddress(target.getHost(), target.getPort());
    List<Loop> loops = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      Loop loop = new Loop(request, expected, deadline, recorder);
      loops.add(loop);
      client.connect(address, HttpProtocol.HTTP_1_1).whenComplete((connection, failure) -> {
        if (failure != null) {
          loop.stop("connect to " + target + " failed: " + failure.getMessage());
        } else {
          loop.begin(connection);
        }
      });
    }
    CompletableFuture<Void> all = CompletableFuture.allOf(loops.stream().map(l -> l.done).toArray(CompletableFuture[]::new));
    try {
      // A request in flight at the deadline may take a while; give it 30 s more, then cut.
      all.get(duration.toNanos() + TimeUnit.SECONDS.toNanos(30), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      loops.forEach(l -> l.stop("still waiting for a response 30 s after the end of the run"));
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } finally {
      loops.forEach(Loop::close);
    }
    long elapsed = System.nanoTime() - start;
    long completed = 0;
    long failed = 0;
    String firstError = null;
    for (Loop l : loops) {
      synchronized (l) {
        completed += l.completed;
        failed += l.failed;
        if (firstError == null) {
          firstError = l.firstError;
        }
      }
    }
    return new Result(completed, failed, elapsed, recorder.getIntervalHistogram(), firstError);
  }

  /** One keep-alive connection of the loop; its callbacks run on the connection's event loop. */
  private static final class Loop {
    private final Request request;
    private final BodyDigest.Result expected;
    private final long deadline;
    private final Recorder recorder;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    private volatile Connection connection;
    long completed;
    long failed;
    String firstError;

    Loop(Request request, BodyDigest.Result expected, long deadline, Recorder recorder) {
      this.request = request;
      this.expected = expected;
      this.deadline = deadline;
      this.recorder = recorder;
    }

    void begin(Connection opened) {
      connection = opened;
      send();
    }

    private void send() {
      long sentAt = System.nanoTime();
      connection.start(request).response().whenComplete((response, failure) -> {
        long now = System.nanoTime();
        if (failure != null) {
          stop("no response: " + failure.getMessage());
          return;
        }
        String error = verify(response);
        if (response.outcome() != Response.Outcome.COMPLETE) {
          stop(error);
          return;
        }
        synchronized (this) {
          completed++;
          if (error != null) {
            failed++;
            if (firstError == null) {
              firstError = error;
            }
          }
        }
        recorder.recordValue(Math.max(1, (now - sentAt) / 1000));
        if (now < deadline && !done.isDone() && connection.isOpen()) {
          send();
        } else if (now < deadline && !done.isDone()) {
          stop("the server closed the keep-alive connection");
        } else {
          done.complete(null);
        }
      });
    }

    private String verify(Response response) {
      if (response.outcome() != Response.Outcome.COMPLETE) {
        return "connection closed while waiting for a response: " + response.detail();
      }
      if (response.status() != 200) {
        return "HTTP " + response.status() + " (expected: 200)";
      }
      if (!response.body().equals(expected)) {
        return "response body of " + response.body().length() + " bytes differs from the " + expected.length()
            + "-byte request body";
      }
      return null;
    }

    /** Counts a failure that ends this connection's loop (once). */
    void stop(String error) {
      if (done.isDone()) {
        return;
      }
      synchronized (this) {
        failed++;
        completed++;
        if (firstError == null) {
          firstError = error;
        }
      }
      done.complete(null);
    }

    void close() {
      Connection c = connection;
      if (c != null) {
        c.close();
      }
    }
  }
}
