package dev.extproc.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A deterministic body of any length that is never held in memory: byte {@code i} is a pure
 * function of {@code (seed, i)}, so it is generated chunk by chunk while sent, and a test knows its
 * SHA-256 without keeping it ({@link #expectedDigest()}).
 */
public final class GeneratedBody implements RequestBody {

  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final long seed;
  private final long length;

  /** A body of {@code length} bytes from the pseudo-random sequence {@code seed} selects. */
  public GeneratedBody(long seed, long length) {
    if (length < 0) {
      throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
    }
    this.seed = seed;
    this.length = length;
  }

  /** Returns a body of {@code length} bytes whose content depends on the length (a distinct seed). */
  public static GeneratedBody ofLength(long length) {
    return new GeneratedBody(0x5EED_0000L + length, length);
  }

  public long seed() {
    return seed;
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public Reader open() {
    return new Reader() {
      /**
       * Unpooled wrapped arrays are not leak-tracked: under paranoid leak detection a tracked buffer
       * records a stack trace on every write, which made generating 16 MiB cost seconds of CPU.
       */
      @Override
      public ByteBuf read(ByteBufAllocator alloc, long offset, int count) {
        byte[] bytes = new byte[count];
        fill(bytes, 0, offset, count);
        return Unpooled.wrappedBuffer(bytes);
      }

      @Override
      public void close() {}
    };
  }

  /** Writes bytes {@code [offset, offset + count)} of the body into {@code dst} from {@code dstOffset}. */
  public void fill(byte[] dst, int dstOffset, long offset, int count) {
    if (offset < 0 || count < 0 || offset + count > length) {
      throw new IndexOutOfBoundsException(
          "range: [" + offset + ", " + (offset + count) + ") (expected: within [0, " + length + "))");
    }
    long position = offset;
    long end = offset + count;
    int at = dstOffset;
    // Leading bytes up to a word boundary, then whole words, then the tail.
    while (position < end && (position & 7) != 0) {
      dst[at++] = byteAt(position++);
    }
    while (end - position >= 8) {
      LONG_LE.set(dst, at, word(position >>> 3));
      at += 8;
      position += 8;
    }
    while (position < end) {
      dst[at++] = byteAt(position++);
    }
  }

  /** Returns the digest of the whole body, computed by generating it once. */
  public BodyDigest.Result expectedDigest() {
    BodyDigest digest = new BodyDigest();
    byte[] block = new byte[64 * 1024];
    long position = 0;
    while (position < length) {
      int n = (int) Math.min(block.length, length - position);
      fill(block, 0, position, n);
      digest.update(block, 0, n);
      position += n;
    }
    return digest.finish();
  }

  private byte byteAt(long position) {
    return (byte) (word(position >>> 3) >>> ((position & 7) * 8));
  }

  /** SplitMix64 of the word index mixed with the seed. */
  private long word(long index) {
    long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GeneratedBody other && seed == other.seed && length == other.length;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(seed) * 31 + Long.hashCode(length);
  }

  @Override
  public String toString() {
    return "GeneratedBody[seed=" + seed + ", length=" + length + "]";
  }
}
