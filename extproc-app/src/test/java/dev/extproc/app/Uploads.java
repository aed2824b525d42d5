package dev.extproc.app;

import dev.extproc.client.GeneratedBody;
import dev.extproc.client.HttpClient;
import dev.extproc.client.HttpProtocol;
import dev.extproc.client.Request;
import dev.extproc.client.RequestBody;
import dev.extproc.client.Response;
import dev.extproc.client.UploadGate;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * HTTP/1.1 uploads through Envoy for the end-to-end tests, like curl ({@code content-length}), on
 * the project's {@link HttpClient}: the body is streamed from its file while the response is read
 * and digested (a backend that echoes while the upload is still going cannot stall it).
 */
final class Uploads {
  private static final Duration TIMEOUT = Duration.ofMinutes(5);

  private Uploads() {}

  /** What the client received: status, body length and SHA-256, and the first bytes of the body. */
  record Received(int status, long length, String sha256, String head) {
    @Override
    public String toString() {
      return "HTTP " + status + ", " + length + " bytes, sha256=" + sha256 + (status != 200 ? ", body: " + head : "");
    }
  }

  /** POSTs {@code file} to {@code uri} and digests the response as it streams in. */
  static Received post(URI uri, Path file) throws IOException, InterruptedException {
    Request request = Request.post(uri.getRawPath(), RequestBody.ofFile(file))
        .withHeader("content-type", "video/mp4")
        .withTimeout(TIMEOUT);
    try (HttpClient client = new HttpClient()) {
      Response response = client.exchange(address(uri), HttpProtocol.HTTP_1_1, request);
      if (response.outcome() != Response.Outcome.COMPLETE) {
        throw new IOException("POST " + uri + " did not complete: " + response);
      }
      return new Received(response.status(), response.body().length(), response.body().sha256(),
          response.bodyHeadText());
    } catch (TimeoutException e) {
      throw new IOException("POST " + uri + ": " + e.getMessage(), e);
    }
  }

  /**
   * Starts an upload announcing {@code bytesBeforeAbort * 10} bytes, sends {@code bytesBeforeAbort},
   * waits until {@code started} holds (for example: the server has the exchange open), then closes
   * the connection: a client abort mid-upload.
   */
  static void abortedPost(URI uri, int bytesBeforeAbort, BooleanSupplier started)
      throws InterruptedException, ExecutionException, TimeoutException {
    UploadGate gate = new UploadGate(bytesBeforeAbort);
    Request request = Request.post(uri.getRawPath(), new GeneratedBody(99, 10L * bytesBeforeAbort))
        .withHeader("content-type", "video/mp4")
        .withGate(gate);
    try (HttpClient client = new HttpClient()) {
      var exchange = client.start(address(uri), HttpProtocol.HTTP_1_1, request);
      gate.awaitReached();
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(started::getAsBoolean);
      gate.abort();
      Response response = exchange.await();
      if (response.outcome() != Response.Outcome.CLIENT_ABORTED) {
        throw new IllegalStateException("expected the client to abort the upload, saw " + response);
      }
    }
  }

  private static InetSocketAddress address(URI uri) {
    return new InetSocketAddress(uri.getHost(), uri.getPort());
  }

  /** Returns the complete capture files ({@code *.body}) in {@code dir}. */
  static Set<Path> completeCaptures(Path dir) throws IOException {
    return list(dir, ".body");
  }

  /** Returns the partial capture files in {@code dir}. */
  static Set<Path> partialCaptures(Path dir) throws IOException {
    return list(dir, ".body.partial");
  }

  private static Set<Path> list(Path dir, String suffix) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(suffix)).collect(Collectors.toCollection(TreeSet::new));
    }
  }
}
