package dev.extproc.app.e2e;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;

/** Digests a body as it arrives (SHA-256 and length) without keeping it. Not thread-safe. */
final class BodyDigest {

  /**
   * The length and SHA-256 (lower-case hex) of a body.
   *
   * @param length bytes seen
   * @param sha256 lower-case hex SHA-256 of those bytes
   */
  record Result(long length, String sha256) {
    @Override
    public String toString() {
      return length + " bytes, sha256 " + sha256;
    }
  }

  private final MessageDigest sha = BodySource.sha256();
  private long length;

  /** Adds the readable bytes of {@code buf} without changing its reader index or releasing it. */
  void update(ByteBuf buf) {
    int readable = buf.readableBytes();
    if (readable == 0) {
      return;
    }
    for (ByteBuffer nio : buf.nioBuffers(buf.readerIndex(), readable)) {
      sha.update(nio);
    }
    length += readable;
  }

  long length() {
    return length;
  }

  /** Returns the digest of everything seen so far (the digest can then no longer be updated). */
  Result finish() {
    return new Result(length, HexFormat.of().formatHex(sha.digest()));
  }
}
