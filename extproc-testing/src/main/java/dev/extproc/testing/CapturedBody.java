package dev.extproc.testing;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import java.util.Optional;

/**
 * A body as some party received it: always its length and SHA-256, and its bytes when it was no
 * longer than the exchange's keep cap ({@link Exchange.Builder#keepBodyBytes}).
 */
public final class CapturedBody {
  private final Digest digest;
  private final ByteString bytes;

  CapturedBody(Digest digest, ByteString bytes) {
    this.digest = requireNonNull(digest, "digest");
    this.bytes = bytes;
  }

  /** Returns the length and SHA-256. */
  public Digest digest() {
    return digest;
  }

  /** Returns the length in bytes. */
  public long length() {
    return digest.length();
  }

  /** Returns the bytes when they were kept (body not longer than the keep cap). */
  public Optional<ByteString> bytes() {
    return Optional.ofNullable(bytes);
  }

  /**
   * Returns the bytes as UTF-8.
   *
   * @throws AssertionError when the body was too large to be kept
   */
  public String utf8() {
    if (bytes == null) {
      throw new AssertionError("body bytes: not kept (" + digest + "; raise Exchange.Builder.keepBodyBytes)");
    }
    return bytes.toStringUtf8();
  }

  /** Returns whether this body has the same length and SHA-256 as {@code source}. */
  public boolean matches(BodySource source) {
    return digest.equals(source.digest());
  }

  @Override
  public String toString() {
    return digest.toString();
  }
}
