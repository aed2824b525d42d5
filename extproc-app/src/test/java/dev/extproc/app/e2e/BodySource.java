package dev.extproc.app.e2e;

import io.netty.buffer.ByteBuf;
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
 */
record BodySource(long seed, long length) {

  BodySource {
    if (length < 0) {
      throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
    }
  }

  /** Returns a body of {@code length} bytes whose content depends on the length (a distinct seed). */
  static BodySource ofLength(long length) {
    return new BodySource(0x5EED_0000L + length, length);
  }

  /** Writes bytes {@code [offset, offset + count)} of the body to {@code dst}. */
  void writeTo(ByteBuf dst, long offset, int count) {
    if (offset < 0 || count < 0 || offset + count > length) {
      throw new IndexOutOfBoundsException(
          "range: [" + offset + ", " + (offset + count) + ") (expected: within [0, " + length + "))");
    }
    long position = offset;
    long end = offset + count;
    // Leading bytes up to a word boundary, then whole words, then the tail.
    while (position < end && (position & 7) != 0) {
      dst.writeByte(byteAt(position++));
    }
    while (end - position >= 8) {
      dst.writeLongLE(word(position >>> 3));
      position += 8;
    }
    while (position < end) {
      dst.writeByte(byteAt(position++));
    }
  }

  /** Returns the expected digest of the whole body, computed by generating it once. */
  BodyDigest.Result expectedDigest() {
    MessageDigest sha = sha256();
    byte[] block = new byte[64 * 1024];
    long position = 0;
    while (position < length) {
      int n = (int) Math.min(block.length, length - position);
      for (int i = 0; i < n; i++) {
        block[i] = byteAt(position + i);
      }
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
