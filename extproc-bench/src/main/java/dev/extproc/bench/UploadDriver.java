package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import dev.extproc.client.Exchange;
import dev.extproc.client.HttpClient;
import dev.extproc.client.HttpProtocol;
import dev.extproc.client.Request;
import dev.extproc.client.RequestBody;
import dev.extproc.client.Response;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends N concurrent HTTP/1.1 uploads like curl does ({@code Content-Length}, one connection each, no
 * {@code Expect: 100-continue}) and verifies every response by SHA-256 as it arrives.
 *
 * <p>Back-pressure both ways comes from the project's {@link HttpClient}: the body is read from the
 * file one chunk at a time and only while the socket is writable; response bytes are digested and
 * released as they arrive, so neither a body nor a response is ever held whole in memory.
 */
public final class UploadDriver {

  private final HttpClient client;

  /** Creates a driver on an event loop group the caller owns (and shuts down). */
  public UploadDriver(EventLoopGroup group) {
    this.client = new HttpClient(requireNonNull(group, "group"));
  }

  /** Live byte counters of a running batch, for a progress display. Any thread. */
  public static final class Progress {
    private final List<Exchange> exchanges;
    private final long bodyBytes;
    private final long expectedBytes;

    Progress(List<Exchange> exchanges, long bodyBytes, long expectedBytes) {
      this.exchanges = exchanges;
      this.bodyBytes = bodyBytes;
      this.expectedBytes = expectedBytes;
    }

    /** Returns the number of uploads. */
    public int streams() {
      return exchanges.size();
    }

    /** Returns the request body bytes upload {@code i} has read from its file and written. */
    public long sent(int i) {
      return exchanges.get(i).bytesSent();
    }

    /** Returns the response body bytes upload {@code i} has received. */
    public long received(int i) {
      return exchanges.get(i).bytesReceived();
    }

    /** Returns the request body size of each upload. */
    public long bodyBytes() {
      return bodyBytes;
    }

    /** Returns the expected response size of each upload. */
    public long expectedBytes() {
      return expectedBytes;
    }
  }

  /** Starts a batch; the returned {@link Batch} tells progress and completes when every upload ended. */
  public Batch start(UploadSpec spec) {
    requireNonNull(spec, "spec");
    return new Batch(spec);
  }

  /**
   * The upload's {@code content-type}, from the body file's name: {@code .json} and {@code .txt}
   * (the transform scenarios' bodies, which processors inspect by type), else {@code video/mp4}.
   */
  static String contentTypeOf(Path bodyFile) {
    String name = bodyFile.getFileName().toString();
    return name.endsWith(".json") ? "application/json"
        : name.endsWith(".txt") ? "text/plain; charset=utf-8"
        : "video/mp4";
  }

  /** A running batch of uploads. */
  public final class Batch {
    private final UploadSpec spec;
    private final List<Exchange> exchanges = new ArrayList<>();
    private final Progress progress;
    private final long startNanos = System.nanoTime();

    private Batch(UploadSpec spec) {
      this.spec = spec;
      InetSocketAddress target = new InetSocketAddress(spec.target().getHost(), spec.target().getPort());
      Request request = Request.post(pathOf(spec), RequestBody.ofFile(spec.bodyFile(), spec.bodyBytes()))
          .withHeader("content-type", contentTypeOf(spec.bodyFile()))
          .withHeader("accept", "*/*")
          .withChunkBytes(spec.chunkBytes())
          // The batch enforces the spec's timeout; an exchange's own is only a backstop.
          .withTimeout(spec.timeout().plusMinutes(1));
      for (int i = 0; i < spec.concurrency(); i++) {
        exchanges.add(client.start(target, HttpProtocol.HTTP_1_1, request));
      }
      this.progress = new Progress(List.copyOf(exchanges), spec.bodyBytes(), spec.expected().length());
    }

    /** Returns the live counters. */
    public Progress progress() {
      return progress;
    }

    /** Waits for every upload; uploads still running when the spec's timeout expires are cancelled and fail. */
    public UploadRun await() throws InterruptedException {
      long deadline = startNanos + spec.timeout().toNanos();
      CompletableFuture<?>[] all = exchanges.stream().map(Exchange::response).toArray(CompletableFuture[]::new);
      boolean timedOut = false;
      try {
        CompletableFuture.allOf(all).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        timedOut = true;
        exchanges.forEach(Exchange::cancel);
      } catch (ExecutionException e) {
        // An exchange's own backstop timeout: reported per upload below.
      }
      List<UploadResult> done = new ArrayList<>();
      for (int i = 0; i < exchanges.size(); i++) {
        done.add(result(i, exchanges.get(i), timedOut));
      }
      return new UploadRun(done, System.nanoTime() - startNanos);
    }

    private UploadResult result(int index, Exchange exchange, boolean timedOut) {
      Response response = exchange.response().getNow(null);
      if (response == null || timedOut && response.outcome() == Response.Outcome.CLIENT_ABORTED) {
        return new UploadResult(index, response == null ? 0 : response.status(), System.nanoTime() - startNanos, -1,
            exchange.bytesSent(), exchange.bytesReceived(), false, "timed out after " + spec.timeout());
      }
      String error = verify(response);
      return new UploadResult(index, response.status(), response.elapsed().toNanos(),
          response.timeToHeaders() == null ? -1 : response.timeToHeaders().toNanos(),
          response.bytesSent(), response.body().length(), error == null, error);
    }

    private String verify(Response response) {
      if (response.status() == 0 && response.detail().startsWith("connect to ")) {
        return response.detail().replaceFirst("^connect to \\S+", "connect to " + spec.target());
      }
      if (response.outcome() != Response.Outcome.COMPLETE) {
        return "connection closed after " + response.body().length() + " response bytes"
            + (response.status() == 0 ? " and no response head" : " (HTTP " + response.status() + ")")
            + (response.detail().isEmpty() ? "" : "; " + response.detail());
      }
      if (response.status() != 200) {
        return "HTTP " + response.status() + " (expected: 200)";
      }
      if (response.body().length() != spec.expected().length()) {
        return "response body " + response.body().length() + " bytes (expected: " + spec.expected() + ")";
      }
      if (!response.body().sha256().equals(HexFormat.of().formatHex(spec.expected().sha256()))) {
        return "response body sha256 " + response.body().sha256() + " (expected: " + spec.expected() + ")";
      }
      if (response.bytesSent() != spec.bodyBytes()) {
        return "response ended after " + response.bytesSent() + " request bytes (expected: " + spec.bodyBytes() + ")";
      }
      return null;
    }
  }

  private static String pathOf(UploadSpec spec) {
    String path = spec.target().getRawPath();
    if (path == null || path.isEmpty()) {
      path = "/";
    }
    return spec.target().getRawQuery() == null ? path : path + "?" + spec.target().getRawQuery();
  }
}
