package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What a response body must be: its length and SHA-256.
 *
 * @param description where the expectation comes from, for messages (such as {@code the request body})
 */
public record ExpectedBody(String description, long length, byte[] sha256) {

  /** Validates and copies. */
  public ExpectedBody {
    requireNonNull(description, "description");
    requireNonNull(sha256, "sha256");
    if (length < 0) {
      throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
    }
    if (sha256.length != 32) {
      throw new IllegalArgumentException("sha256: " + sha256.length + " bytes (expected: 32)");
    }
    sha256 = sha256.clone();
  }

  /** Returns a copy of the digest. */
  @Override
  public byte[] sha256() {
    return sha256.clone();
  }

  /** The first {@code length} bytes of a file. */
  public static ExpectedBody ofFile(String description, Path file, long length) throws IOException {
    return new ExpectedBody(description, length, Digests.sha256(file, length));
  }

  /** A whole file. */
  public static ExpectedBody ofFile(String description, Path file) throws IOException {
    long size = java.nio.file.Files.size(file);
    return new ExpectedBody(description, size, Digests.sha256(file, size));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ExpectedBody other
        && description.equals(other.description)
        && length == other.length
        && java.util.Arrays.equals(sha256, other.sha256);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * description.hashCode() + Long.hashCode(length)) + java.util.Arrays.hashCode(sha256);
  }

  @Override
  public String toString() {
    return description + " (" + length + " bytes, sha256 " + Digests.hex(sha256) + ")";
  }
}
