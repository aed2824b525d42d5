package dev.extproc.app;

import dev.extproc.processors.media.TestMedia;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/** HTTP/1.1 uploads through Envoy for the end-to-end tests, and the capture files they leave. */
final class Uploads {
  private static final int KEEP_BYTES = 4096;

  private Uploads() {}

  /**
   * What the client received: status, body length and SHA-256, and the first bytes of the body.
   */
  record Received(int status, long length, String sha256, String head) {
    @Override
    public String toString() {
      return "HTTP " + status + ", " + length + " bytes, sha256=" + sha256 + (status != 200 ? ", body: " + head : "");
    }
  }

  static HttpClient client() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** POSTs {@code file} (with its content-length) to {@code uri} and digests the response as it streams in. */
  static Received post(HttpClient client, URI uri, Path file) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofMinutes(5))
            .header("content-type", "video/mp4")
            .POST(HttpRequest.BodyPublishers.ofFile(file))
            .build();
    HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    MessageDigest sha = sha256();
    byte[] head = new byte[KEEP_BYTES];
    int kept = 0;
    long length = 0;
    try (InputStream in = response.body()) {
      byte[] buffer = new byte[64 * 1024];
      int n;
      while ((n = in.read(buffer)) > 0) {
        sha.update(buffer, 0, n);
        int keep = Math.min(n, KEEP_BYTES - kept);
        System.arraycopy(buffer, 0, head, kept, keep);
        kept += keep;
        length += n;
      }
    }
    return new Received(
        response.statusCode(), length, HexFormat.of().formatHex(sha.digest()),
        new String(Arrays.copyOf(head, kept), StandardCharsets.UTF_8));
  }

  /**
   * Starts a chunked upload of pseudo-random bytes that fails after {@code bytesBeforeAbort}: the
   * client aborts mid-upload and its connection is closed. Returns the failure the client saw.
   */
  static Throwable abortedPost(HttpClient client, URI uri, int bytesBeforeAbort) throws InterruptedException {
    InputStream failing =
        new InputStream() {
          private final byte[] data = TestMedia.bytes(bytesBeforeAbort, 99);
          private int at;

          @Override
          public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (at >= data.length) {
              throw new IOException("client aborts the upload after " + at + " bytes");
            }
            int n = Math.min(len, data.length - at);
            System.arraycopy(data, at, b, off, n);
            at += n;
            return n;
          }
        };
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(60))
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> failing))
            .build();
    try {
      HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
      throw new AssertionError("the aborted upload got a response: HTTP " + response.statusCode());
    } catch (IOException e) {
      return e;
    }
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
      return files.filter(p -> p.getFileName().toString().endsWith(suffix)).collect(java.util.stream.Collectors.toCollection(TreeSet::new));
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
