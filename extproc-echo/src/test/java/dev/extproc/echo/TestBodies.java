package dev.extproc.echo;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

/** Deterministic request bodies and their digests. */
final class TestBodies {

  static final int KIB = 1024;
  static final int MIB = 1024 * 1024;

  private TestBodies() {}

  /** Returns {@code size} pseudo-random bytes, the same for the same size. */
  static byte[] body(int size) {
    byte[] bytes = new byte[size];
    new Random(size * 31L + 7).nextBytes(bytes);
    return bytes;
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(sha256().digest(bytes));
  }
}
