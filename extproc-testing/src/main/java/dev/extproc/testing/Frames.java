package dev.extproc.testing;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Cuts a body into the frames Envoy's codec would deliver: data chunks of the planned sizes, then
 * the end of stream framed as HTTP/1 (a separate empty chunk) or HTTP/2 (on the last data chunk).
 * When trailers follow, no frame carries end of stream.
 */
final class Frames {
  record Frame(ByteString data, boolean endOfStream) {}

  private final BodySource source;
  private final int[] sizes;
  private final Framing framing;
  private final boolean trailers;
  private BodySource.Reader reader;
  private long position;
  private int sizeIndex;
  private boolean done;

  Frames(BodySource source, int[] sizes, Framing framing, boolean trailers) {
    this.source = source;
    this.sizes = sizes;
    this.framing = framing;
    this.trailers = trailers;
    this.done = !source.present();
  }

  long length() {
    return source.length();
  }

  /** Returns whether every frame has been returned. */
  boolean done() {
    return done;
  }

  /** Returns the next frame, or null when the body is over. */
  Frame next() {
    if (done) {
      return null;
    }
    long remaining = source.length() - position;
    if (remaining == 0) {
      done = true;
      close();
      // HTTP/1 (or an empty body): a separate empty end-of-stream chunk, unless trailers end the message.
      boolean emptyLast = framing == Framing.HTTP1 || source.length() == 0;
      return !trailers && emptyLast ? new Frame(ByteString.EMPTY, true) : null;
    }
    int size = sizes[Math.min(sizeIndex, sizes.length - 1)];
    sizeIndex++;
    ByteString data = read((int) Math.min(size, remaining));
    boolean last = position == source.length();
    if (last && (framing == Framing.HTTP2 || trailers)) {
      done = true;
      close();
      return new Frame(data, !trailers);
    }
    return new Frame(data, false);
  }

  /**
   * Returns whole frames totalling at least {@code bytes} (or up to the end) as one frame, as Envoy
   * sends what it held while a header reply was pending. Null when the body is over.
   */
  Frame aggregate(long bytes) {
    Frame first = next();
    if (first == null || first.endOfStream()) {
      return first;
    }
    ByteString.Output out = ByteString.newOutput();
    write(out, first.data());
    boolean eos = false;
    while (out.size() < bytes && !done) {
      Frame frame = next();
      if (frame == null) {
        break;
      }
      write(out, frame.data());
      eos = frame.endOfStream();
    }
    return new Frame(out.toByteString(), eos);
  }

  private static void write(ByteString.Output out, ByteString data) {
    try {
      data.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ByteString read(int n) {
    if (reader == null) {
      reader = source.open();
    }
    ByteString data = reader.read(n);
    if (data.size() != n) {
      throw new IllegalStateException("body source " + source + ": read " + data.size() + " bytes at " + position
          + " (expected: " + n + ")");
    }
    position += n;
    return data;
  }

  void close() {
    if (reader != null) {
      reader.close();
      reader = null;
    }
  }
}
