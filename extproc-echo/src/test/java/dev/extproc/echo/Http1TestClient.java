package dev.extproc.echo;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A minimal blocking HTTP/1.1 client over a raw socket, so tests control exactly what is sent
 * when (half a body, then the rest) and see exactly what comes back (framing, trailers, EOF).
 */
final class Http1TestClient implements AutoCloseable {

  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;

  Http1TestClient(int port) throws IOException {
    socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    socket.setSoTimeout(30_000);
    socket.setTcpNoDelay(true);
    out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    in = new BufferedInputStream(socket.getInputStream());
  }

  OutputStream out() {
    return out;
  }

  /** Writes a request head; {@code headers} values are sent as given. */
  void writeHead(String method, String path, Map<String, String> headers) throws IOException {
    StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nhost: 127.0.0.1\r\n");
    headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    head.append("\r\n");
    out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /** Writes one chunk of a chunked body (nothing for an empty slice). */
  void writeChunk(byte[] bytes, int offset, int length) throws IOException {
    if (length == 0) {
      return;
    }
    out.write((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(bytes, offset, length);
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /** Writes the last chunk with {@code trailers}. */
  void writeLastChunk(Map<String, String> trailers) throws IOException {
    StringBuilder last = new StringBuilder("0\r\n");
    trailers.forEach((k, v) -> last.append(k).append(": ").append(v).append("\r\n"));
    last.append("\r\n");
    out.write(last.toString().getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /**
   * Sends a whole POST (with content-length, or chunked in 8 KiB chunks) from another thread, so
   * the echoed body can be read meanwhile, and returns the response.
   */
  Response post(String path, byte[] body, boolean chunked) throws Exception {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("content-type", "application/octet-stream");
    if (chunked) {
      headers.put("transfer-encoding", "chunked");
    } else {
      headers.put("content-length", Integer.toString(body.length));
    }
    CompletableFuture<Void> sent =
        CompletableFuture.runAsync(
            () -> {
              try {
                writeHead("POST", path, headers);
                if (chunked) {
                  for (int off = 0; off < body.length; off += 8192) {
                    writeChunk(body, off, Math.min(8192, body.length - off));
                  }
                  writeLastChunk(Map.of());
                } else {
                  out.write(body);
                  out.flush();
                }
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    Response response = readResponse();
    sent.get(30, TimeUnit.SECONDS);
    return response;
  }

  /** Reads a whole response, digesting its body. */
  Response readResponse() throws IOException {
    ResponseHead head = readHead();
    BodyReader body = body(head);
    MessageDigest digest = TestBodies.sha256();
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    int n;
    while ((n = body.read(buffer, 0, buffer.length)) > 0) {
      digest.update(buffer, 0, n);
      total += n;
    }
    return new Response(head, total, HexFormat.of().formatHex(digest.digest()), body.trailers());
  }

  /** Reads a status line and headers (skipping 1xx responses). */
  ResponseHead readHead() throws IOException {
    while (true) {
      String status = readLine();
      if (status == null) {
        throw new EOFException("connection closed before a response");
      }
      int code = Integer.parseInt(status.split(" ")[1]);
      Map<String, String> headers = readFields();
      if (code >= 200) {
        return new ResponseHead(code, headers);
      }
    }
  }

  BodyReader body(ResponseHead head) {
    return new BodyReader(head);
  }

  /** Returns whether the server closed the connection (EOF on the next read). */
  boolean isClosedByServer() throws IOException {
    return in.read() == -1;
  }

  private Map<String, String> readFields() throws IOException {
    Map<String, String> fields = new LinkedHashMap<>();
    String line;
    while ((line = readLine()) != null && !line.isEmpty()) {
      int colon = line.indexOf(':');
      fields.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
    }
    return fields;
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.US_ASCII);
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  record ResponseHead(int status, Map<String, String> headers) {}

  record Response(ResponseHead head, long bodyBytes, String sha256, Map<String, String> trailers) {
    int status() {
      return head.status();
    }

    Map<String, String> headers() {
      return head.headers();
    }
  }

  /** Decodes a response body framed by content-length, chunked encoding, or the connection end. */
  final class BodyReader {
    private final boolean chunked;
    private long remaining; // in the body (content-length) or in the current chunk (chunked)
    private boolean done;
    private Map<String, String> trailers = Map.of();

    BodyReader(ResponseHead head) {
      chunked = "chunked".equalsIgnoreCase(head.headers().get("transfer-encoding"));
      String length = head.headers().get("content-length");
      remaining = chunked ? 0 : length == null ? Long.MAX_VALUE : Long.parseLong(length);
      done = !chunked && remaining == 0;
    }

    /** Reads up to {@code length} body bytes; returns -1 at the end of the body. */
    int read(byte[] buffer, int offset, int length) throws IOException {
      if (done) {
        return -1;
      }
      if (chunked && remaining == 0) {
        String size = readLine();
        if (size == null) {
          throw new EOFException("connection closed inside a chunked body");
        }
        remaining = Long.parseLong(size.split(";")[0].trim(), 16);
        if (remaining == 0) {
          trailers = readFields();
          done = true;
          return -1;
        }
      }
      int n = in.read(buffer, offset, (int) Math.min(length, remaining));
      if (n == -1) {
        if (remaining == Long.MAX_VALUE) {
          done = true;
          return -1;
        }
        throw new EOFException("connection closed with " + remaining + " body bytes missing");
      }
      if (remaining != Long.MAX_VALUE) {
        remaining -= n;
      }
      if (chunked && remaining == 0) {
        readLine(); // CRLF after the chunk data
      } else if (!chunked && remaining == 0) {
        done = true;
      }
      return n;
    }

    /** Reads exactly {@code length} body bytes. */
    byte[] readExactly(int length) throws IOException {
      byte[] bytes = new byte[length];
      int off = 0;
      while (off < length) {
        int n = read(bytes, off, length - off);
        if (n == -1) {
          throw new EOFException("body ended after " + off + " of " + length + " bytes");
        }
        off += n;
      }
      return bytes;
    }

    Map<String, String> trailers() {
      return trailers;
    }
  }
}
