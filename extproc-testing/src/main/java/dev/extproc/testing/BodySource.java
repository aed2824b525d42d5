package dev.extproc.testing;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The body of an HTTP message FakeEnvoy sends, read chunk by chunk so that a body of any size
 * (64 MiB and more) is never held whole. Sources are immutable and can be opened any number of
 * times, each time yielding the same bytes.
 *
 * <p>{@link #none()} is a message without a body (a GET: the headers carry end of stream);
 * {@link #empty()} is a message with an empty body (a POST with no bytes: one empty body message
 * with end of stream follows the headers).
 */
public abstract class BodySource {

  BodySource() {}

  /** Returns the body length in bytes (0 for {@link #none()}). */
  public abstract long length();

  /** Returns whether the message has a body at all; false only for {@link #none()}. */
  public boolean present() {
    return true;
  }

  /** Opens a reader positioned at the first byte. */
  public abstract Reader open();

  /** Returns the length and SHA-256 of this body, computed by reading it once. */
  public Digest digest() {
    BodySink sink = new BodySink(0);
    try (Reader reader = open()) {
      ByteString chunk;
      while (!(chunk = reader.read(256 * 1024)).isEmpty()) {
        sink.write(chunk);
      }
    }
    return sink.digest();
  }

  /** A message without a body: headers carry end of stream. */
  public static BodySource none() {
    return new Bytes(ByteString.EMPTY, false);
  }

  /** A message with an empty body: headers without end of stream, then an empty last chunk. */
  public static BodySource empty() {
    return new Bytes(ByteString.EMPTY, true);
  }

  /** A body made of the given bytes. */
  public static BodySource of(ByteString bytes) {
    return new Bytes(requireNonNull(bytes, "bytes"), true);
  }

  /** A body made of the UTF-8 encoding of {@code text}. */
  public static BodySource of(String text) {
    return of(ByteString.copyFromUtf8(text));
  }

  /**
   * A body of {@code length} deterministic pseudo-random bytes: the same seed and length always give
   * the same bytes, and a longer body starts with the bytes of a shorter one.
   */
  public static BodySource random(long length, long seed) {
    if (length < 0) {
      throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
    }
    return new Random(length, seed);
  }

  /** A body read from a file, chunk by chunk. The file must not change while it is used. */
  public static BodySource ofFile(Path file) {
    requireNonNull(file, "file");
    try {
      return new FileSource(file, java.nio.file.Files.size(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read body file " + file, e);
    }
  }

  /** Reads a body sequentially. Not thread-safe. */
  public abstract static class Reader implements AutoCloseable {
    Reader() {}

    /** Returns the next at most {@code max} bytes, or an empty string at the end. */
    public abstract ByteString read(int max);

    @Override
    public void close() {}
  }

  private static final class Bytes extends BodySource {
    private final ByteString bytes;
    private final boolean present;

    Bytes(ByteString bytes, boolean present) {
      this.bytes = bytes;
      this.present = present;
    }

    @Override
    public long length() {
      return bytes.size();
    }

    @Override
    public boolean present() {
      return present;
    }

    @Override
    public Reader open() {
      return new Reader() {
        private int position;

        @Override
        public ByteString read(int max) {
          int n = Math.min(max, bytes.size() - position);
          ByteString out = bytes.substring(position, position + n);
          position += n;
          return out;
        }
      };
    }

    @Override
    public String toString() {
      return present ? "bytes(" + bytes.size() + ")" : "none";
    }
  }

  private static final class Random extends BodySource {
    private final long length;
    private final long seed;

    Random(long length, long seed) {
      this.length = length;
      this.seed = seed;
    }

    @Override
    public long length() {
      return length;
    }

    @Override
    public Reader open() {
      return new Reader() {
        private long position;
        private long state = seed ^ 0x9E3779B97F4A7C15L;
        private long word;
        private int wordLeft;

        @Override
        public ByteString read(int max) {
          int n = (int) Math.min(max, length - position);
          byte[] out = new byte[n];
          for (int i = 0; i < n; i++) {
            if (wordLeft == 0) {
              // splitmix64: cheap, deterministic, good enough to defeat compression and patterns.
              state += 0x9E3779B97F4A7C15L;
              long z = state;
              z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
              z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
              word = z ^ (z >>> 31);
              wordLeft = 8;
            }
            out[i] = (byte) word;
            word >>>= 8;
            wordLeft--;
          }
          position += n;
          return ByteString.copyFrom(out);
        }
      };
    }

    @Override
    public String toString() {
      return "random(" + length + ", seed " + seed + ")";
    }
  }

  private static final class FileSource extends BodySource {
    private final Path file;
    private final long length;

    FileSource(Path file, long length) {
      this.file = file;
      this.length = length;
    }

    @Override
    public long length() {
      return length;
    }

    @Override
    public Reader open() {
      FileChannel channel;
      try {
        channel = FileChannel.open(file, StandardOpenOption.READ);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open body file " + file, e);
      }
      return new Reader() {
        @Override
        public ByteString read(int max) {
          try {
            ByteBuffer buffer = ByteBuffer.allocate(max);
            while (buffer.hasRemaining()) {
              if (channel.read(buffer) < 0) {
                break;
              }
            }
            buffer.flip();
            return ByteString.copyFrom(buffer);
          } catch (IOException e) {
            throw new UncheckedIOException("cannot read body file " + file, e);
          }
        }

        @Override
        public void close() {
          try {
            channel.close();
          } catch (IOException e) {
            throw new UncheckedIOException("cannot close body file " + file, e);
          }
        }
      };
    }

    @Override
    public String toString() {
      return "file(" + file + ", " + length + ")";
    }
  }
}
