package dev.extproc.app.e2e;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A deterministic request body of any length that is never held in memory: byte {@code i} is a
 * pure function of {@code (seed, i)}, so a client writes it chunk by chunk and a test knows its
 * SHA-256 without keeping it.
 *
 * @param seed selects the pseudo-random byte sequence
 * @param length the body length in bytes
 * @param content the body's bytes when it is crafted ({@link #ofBytes}); null for a pseudo-random one
 */
record BodySource(long seed, long length, byte[] content) {

  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  BodySource {
    if (length < 0) {
      throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
    }
    if (content != null && content.length != length) {
      throw new IllegalArgumentException("content: " + content.length + " B (expected: length " + length + ")");
    }
  }

  /** A pseudo-random body: byte {@code i} is a function of {@code (seed, i)}. */
  BodySource(long seed, long length) {
    this(seed, length, null);
  }

  /** Returns a body of exactly these bytes (held in memory: for small, crafted bodies). */
  static BodySource ofBytes(byte[] content) {
    return new BodySource(0, content.length, content.clone());
  }

  /** Returns a body of {@code length} bytes whose content depends on the length (a distinct seed). */
  static BodySource ofLength(long length) {
    return new BodySource(0x5EED_0000L + length, length);
  }

  /**
   * Returns bytes {@code [offset, offset + count)} of the body as a new unpooled buffer. Unpooled
   * wrapped arrays are not leak-tracked: under paranoid leak detection a tracked buffer records a
   * stack trace on every write, which made generating 16 MiB cost seconds of CPU.
   */
  ByteBuf chunk(long offset, int count) {
    byte[] bytes = new byte[count];
    fill(bytes, 0, offset, count);
    return Unpooled.wrappedBuffer(bytes);
  }

  /** Writes bytes {@code [offset, offset + count)} of the body into {@code dst} from {@code dstOffset}. */
  void fill(byte[] dst, int dstOffset, long offset, int count) {
    if (offset < 0 || count < 0 || offset + count > length) {
      throw new IndexOutOfBoundsException(
          "range: [" + offset + ", " + (offset + count) + ") (expected: within [0, " + length + "))");
    }
    if (content != null) {
      System.arraycopy(content, (int) offset, dst, dstOffset, count);
      return;
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

  /** Returns the expected digest of the whole body, computed by generating it once. */
  BodyDigest.Result expectedDigest() {
    MessageDigest sha = sha256();
    byte[] block = new byte[64 * 1024];
    long position = 0;
    while (position < length) {
      int n = (int) Math.min(block.length, length - position);
      fill(block, 0, position, n);
      sha.update(block, 0, n);
      position += n;
    }
    return new BodyDigest.Result(length, HexFormat.of().formatHex(sha.digest()));
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

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JVM", e);
    }
  }
}
