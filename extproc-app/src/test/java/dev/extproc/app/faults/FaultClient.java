package dev.extproc.app.faults;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A plain HTTP/1.1 upload client for fault injection, like curl: {@code content-length}, the body
 * written by one thread while another reads the response. The body is a deterministic pattern,
 * sent up to a pause point, then held until {@link Upload#resume()}. The result says whether the
 * response ended properly or was cut, so a "truncated 200" cannot go unnoticed.
 */
final class FaultClient {
  private static final int SOCKET_TIMEOUT_MILLIS = 60_000;

  private FaultClient() {}

  /** How the response ended. */
  enum Ending {
    /** Status line, headers and the whole body as framed (content-length or the last chunk). */
    COMPLETE,
    /** A status line came, then the connection ended before the body's framing did. */
    CUT,
    /** The connection ended before any status line. */
    NO_RESPONSE
  }

  /** What the client saw. {@code status} is 0 without a status line; {@code elapsed} is from resume (or start) to the end. */
  record Seen(int status, Ending ending, long bodyBytes, String sha256, String head, Duration elapsed) {
    boolean completeWith(int expected) {
      return ending == Ending.COMPLETE && status == expected;
    }

    @Override
    public String toString() {
      return "HTTP " + status + " " + ending + ", " + bodyBytes + " body bytes in " + elapsed.toMillis() + " ms"
          + (status != 200 && !head.isEmpty() ? ", body: " + head.strip() : "");
    }
  }

  /** An upload in flight. */
  static final class Upload {
    final CompletableFuture<Seen> result = new CompletableFuture<>();
    final String sentSha256;
    private final CountDownLatch paused = new CountDownLatch(1);
    private final CountDownLatch resume = new CountDownLatch(1);
    private volatile long resumedAt = System.nanoTime();
    private volatile Socket socket;

    private Upload(String sentSha256) {
      this.sentSha256 = sentSha256;
    }

    /** Waits until the pause point was written. */
    void awaitPaused() throws InterruptedException {
      if (!paused.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the upload did not reach its pause point within 30 s");
      }
    }

    /** Lets the rest of the body go. */
    void resume() {
      resumedAt = System.nanoTime();
      resume.countDown();
    }

    /** Resets the connection (SO_LINGER 0): a client abort. */
    void abort() throws IOException {
      socket.setSoLinger(true, 0);
      socket.close();
      resume.countDown();
    }

    Seen join() {
      return result.join();
    }
  }

  /** Returns the body pattern's bytes {@code [0, size)} digested, as the echo returns them. */
  static String sha256Of(long size) {
    MessageDigest sha = sha256();
    byte[] block = block();
    for (long left = size; left > 0; left -= block.length) {
      sha.update(block, 0, (int) Math.min(block.length, left));
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** Starts a POST of {@code size} bytes to {@code uri}, pausing after {@code pauseAfter} of them. */
  static Upload start(URI uri, long size, long pauseAfter) throws IOException {
    Upload upload = new Upload(sha256Of(size));
    Socket socket = new Socket(uri.getHost(), uri.getPort());
    socket.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
    upload.socket = socket;
    Thread writer = new Thread(() -> write(socket, uri, size, pauseAfter, upload), "fault-upload-writer");
    writer.setDaemon(true);
    writer.start();
    Thread reader =
        new Thread(
            () -> {
              try (socket) {
                upload.result.complete(read(new BufferedInputStream(socket.getInputStream(), 64 * 1024), upload));
              } catch (IOException e) {
                upload.result.complete(new Seen(0, Ending.NO_RESPONSE, 0, "", e.toString(), Duration.ofNanos(System.nanoTime() - upload.resumedAt)));
              } catch (RuntimeException e) {
                upload.result.completeExceptionally(e);
              }
            },
            "fault-upload-reader");
    reader.setDaemon(true);
    reader.start();
    return upload;
  }

  /** POSTs {@code size} bytes at once and returns what came back. */
  static Seen post(URI uri, long size) throws IOException {
    Upload upload = start(uri, size, size);
    upload.resume();
    return upload.join();
  }

  private static void write(Socket socket, URI uri, long size, long pauseAfter, Upload upload) {
    byte[] block = block();
    try {
      OutputStream out = socket.getOutputStream();
      out.write(("POST " + uri.getRawPath() + " HTTP/1.1\r\nhost: " + uri.getHost() + "\r\n"
          + "content-type: application/octet-stream\r\ncontent-length: " + size + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      long sent = 0;
      boolean pausedOnce = false;
      while (sent < size) {
        if (!pausedOnce && sent >= pauseAfter) {
          out.flush();
          upload.paused.countDown();
          upload.resume.await();
          pausedOnce = true;
        }
        int at = (int) (sent % block.length);
        long limit = pausedOnce ? size - sent : Math.min(size - sent, Math.max(1, pauseAfter - sent));
        int n = (int) Math.min(block.length - at, limit);
        out.write(block, at, n);
        sent += n;
      }
      out.flush();
      upload.paused.countDown();
    } catch (IOException | InterruptedException e) {
      upload.paused.countDown(); // the server or Envoy closed early; the reader reports what came back
    }
  }

  private static Seen read(InputStream in, Upload upload) throws IOException {
    String statusLine;
    try {
      statusLine = line(in);
    } catch (IOException e) {
      return new Seen(0, Ending.NO_RESPONSE, 0, "", e.toString(), Duration.ofNanos(System.nanoTime() - upload.resumedAt));
    }
    int status = Integer.parseInt(statusLine.split(" ", 3)[1]);
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
    MessageDigest sha = sha256();
    StringBuilder head = new StringBuilder();
    long[] length = {0};
    Ending ending = Ending.COMPLETE;
    try {
      if (chunked) {
        for (long chunk = Long.parseLong(line(in).split(";")[0].trim(), 16); chunk > 0; chunk = Long.parseLong(line(in).split(";")[0].trim(), 16)) {
          copy(in, chunk, sha, head, length);
          line(in);
        }
        while (!line(in).isEmpty()) {
          // trailers
        }
      } else if (contentLength >= 0) {
        copy(in, contentLength, sha, head, length);
      }
    } catch (IOException e) {
      ending = Ending.CUT;
    }
    return new Seen(status, ending, length[0], HexFormat.of().formatHex(sha.digest()), head.toString(),
        Duration.ofNanos(System.nanoTime() - upload.resumedAt));
  }

  private static void copy(InputStream in, long bytes, MessageDigest sha, StringBuilder head, long[] length) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    for (long left = bytes; left > 0; ) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new EOFException("body ended " + left + " bytes short");
      }
      sha.update(buffer, 0, n);
      if (head.length() < 512) {
        head.append(new String(buffer, 0, Math.min(n, 512 - head.length()), StandardCharsets.ISO_8859_1));
      }
      length[0] += n;
      left -= n;
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c >= 0; c = in.read()) {
      if (c == '\n') {
        int end = line.length();
        return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
      }
      line.append((char) c);
    }
    throw new EOFException("connection closed mid-line: " + line);
  }

  private static byte[] block() {
    byte[] block = new byte[64 * 1024];
    new Random(9).nextBytes(block);
    return block;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
