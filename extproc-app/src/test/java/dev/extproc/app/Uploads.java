package dev.extproc.app;

import dev.extproc.processors.media.TestMedia;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * HTTP/1.1 uploads through Envoy for the end-to-end tests, like curl: {@code content-length}, the
 * body sent by one thread while the response is read by another. (java.net.http.HttpClient starts
 * reading an HTTP/1.1 response only after the whole request body is sent; when the backend echoes
 * while the upload is still going, as in STREAMED with a replacement, Envoy's flow control then
 * stops the upload for good.) Bodies are streamed from files and digested on the fly.
 */
final class Uploads {
  private static final int KEEP_BYTES = 4096;
  private static final int SOCKET_TIMEOUT_MILLIS = 300_000;

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
    long size = Files.size(file);
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
      OutputStream out = socket.getOutputStream();
      AtomicReference<IOException> writeFailure = new AtomicReference<>();
      Thread writer =
          new Thread(
              () -> {
                try (InputStream in = Files.newInputStream(file)) {
                  out.write(head(uri, size).getBytes(StandardCharsets.US_ASCII));
                  in.transferTo(out);
                  out.flush();
                } catch (IOException e) {
                  writeFailure.set(e); // e.g. Envoy answered early (a local reply) and closed
                }
              },
              "upload-writer");
      writer.setDaemon(true);
      writer.start();
      try {
        return readResponse(new BufferedInputStream(socket.getInputStream(), 64 * 1024));
      } catch (IOException e) {
        IOException failure = new IOException("reading the response of POST " + uri + " failed", e);
        if (writeFailure.get() != null) {
          failure.addSuppressed(writeFailure.get());
        }
        throw failure;
      } finally {
        socket.close();
        writer.join(SOCKET_TIMEOUT_MILLIS);
      }
    }
  }

  /**
   * Starts an upload announcing {@code bytesBeforeAbort * 10} bytes, sends {@code bytesBeforeAbort},
   * waits until {@code started} holds (for example: the server has the exchange open), then resets
   * the connection: a client abort mid-upload.
   */
  static void abortedPost(URI uri, int bytesBeforeAbort, BooleanSupplier started) throws IOException {
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(head(uri, 10L * bytesBeforeAbort).getBytes(StandardCharsets.US_ASCII));
      out.write(TestMedia.bytes(bytesBeforeAbort, 99));
      out.flush();
      Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(started::getAsBoolean);
      socket.setSoLinger(true, 0); // close() sends a RST: the client is gone, mid-body
    }
  }

  private static String head(URI uri, long size) {
    return "POST " + uri.getRawPath() + " HTTP/1.1\r\n"
        + "host: " + uri.getHost() + ":" + uri.getPort() + "\r\n"
        + "content-type: video/mp4\r\n"
        + "content-length: " + size + "\r\n"
        + "connection: close\r\n\r\n";
  }

  private static Received readResponse(InputStream in) throws IOException {
    String statusLine = line(in);
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("status line: " + statusLine + " (expected: HTTP/1.x <code> ...)");
    }
    int status = Integer.parseInt(parts[1]);
    long contentLength = -1;
    boolean chunked = false;
    for (String header = line(in); !header.isEmpty(); header = line(in)) {
      int colon = header.indexOf(':');
      String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = header.substring(colon + 1).trim();
      if (name.equals("content-length")) {
        contentLength = Long.parseLong(value);
      } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
        chunked = true;
      }
    }
    Body body = new Body();
    if (chunked) {
      while (true) {
        String sizeLine = line(in);
        int semicolon = sizeLine.indexOf(';');
        long chunk = Long.parseLong((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
        if (chunk == 0) {
          while (!line(in).isEmpty()) {
            // trailers: ignored
          }
          break;
        }
        body.copy(in, chunk);
        line(in);
      }
    } else if (contentLength >= 0) {
      body.copy(in, contentLength);
    } else {
      body.copy(in, Long.MAX_VALUE);
    }
    return new Received(status, body.length, HexFormat.of().formatHex(body.sha.digest()),
        body.head.toString(StandardCharsets.UTF_8));
  }

  /** Digests a body as it is read. */
  private static final class Body {
    final MessageDigest sha = sha256();
    final ByteArrayOutputStream head = new ByteArrayOutputStream();
    final byte[] buffer = new byte[64 * 1024];
    long length;

    void copy(InputStream in, long bytes) throws IOException {
      long left = bytes;
      while (left > 0) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (n < 0) {
          if (bytes == Long.MAX_VALUE) {
            return;
          }
          throw new EOFException("response body ended after " + length + " bytes, " + left + " short");
        }
        sha.update(buffer, 0, n);
        head.write(buffer, 0, (int) Math.min(n, Math.max(0, KEEP_BYTES - head.size())));
        length += n;
        left -= n;
      }
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        int end = line.length();
        return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
      }
      line.append((char) c);
    }
    throw new EOFException("connection closed in the middle of a line: " + line);
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

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
