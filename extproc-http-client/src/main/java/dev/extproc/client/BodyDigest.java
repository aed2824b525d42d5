package dev.extproc.client;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The digesting sink: SHA-256 and length of a body as it arrives, without keeping it. Not
 * thread-safe; a client updates it on the connection's event loop.
 */
public final class BodyDigest {

  /**
   * The length and SHA-256 (lower-case hex) of a body.
   *
   * @param length bytes seen
   * @param sha256 lower-case hex SHA-256 of those bytes
   */
  public record Result(long length, String sha256) {
    /** Returns the result for {@code bytes}. */
    public static Result of(byte[] bytes) {
      BodyDigest digest = new BodyDigest();
      digest.update(bytes, 0, bytes.length);
      return digest.finish();
    }

    @Override
    public String toString() {
      return length + " bytes, sha256 " + sha256;
    }
  }

  private final MessageDigest sha = sha256();
  private long length;

  /** Adds the readable bytes of {@code buf} without changing its reader index or releasing it. */
  public void update(ByteBuf buf) {
    int readable = buf.readableBytes();
    if (readable == 0) {
      return;
    }
    for (ByteBuffer nio : buf.nioBuffers(buf.readerIndex(), readable)) {
      sha.update(nio);
    }
    length += readable;
  }

  /** Adds {@code count} bytes of {@code bytes} from {@code offset}. */
  public void update(byte[] bytes, int offset, int count) {
    sha.update(bytes, offset, count);
    length += count;
  }

  /** Returns the number of bytes seen so far. */
  public long length() {
    return length;
  }

  /** Returns the digest of everything seen so far; the digest can then no longer be updated. */
  public Result finish() {
    return new Result(length, HexFormat.of().formatHex(sha.digest()));
  }

  /** Returns a new SHA-256 message digest. */
  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JVM", e);
    }
  }
}
