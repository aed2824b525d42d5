package dev.extproc.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers: every body the benchmark checks is compared by digest, never held in memory. */
public final class Digests {

  private Digests() {}

  /** Returns a new SHA-256 digest. */
  public static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** Returns the SHA-256 of the first {@code length} bytes of a file, read in 64 KiB pieces. */
  public static byte[] sha256(Path file, long length) throws IOException {
    long size = Files.size(file);
    if (length < 0 || length > size) {
      throw new IllegalArgumentException("length: " + length + " (expected: 0.." + size + ", the size of " + file + ")");
    }
    MessageDigest digest = newSha256();
    byte[] buffer = new byte[64 * 1024];
    long left = length;
    try (InputStream in = Files.newInputStream(file)) {
      while (left > 0) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (n < 0) {
          throw new IOException(file + ": ended after " + (length - left) + " bytes (expected: " + length + ")");
        }
        digest.update(buffer, 0, n);
        left -= n;
      }
    }
    return digest.digest();
  }

  /** Returns the SHA-256 of a whole file. */
  public static byte[] sha256(Path file) throws IOException {
    return sha256(file, Files.size(file));
  }

  /** Returns lower-case hex. */
  public static String hex(byte[] digest) {
    return HexFormat.of().formatHex(digest);
  }
}
