package dev.extproc.testing;

import static java.util.Objects.requireNonNull;

/**
 * The length and SHA-256 of a body: how FakeEnvoy compares bodies of any size.
 *
 * @param length the body length in bytes
 * @param sha256 the lower-case hex SHA-256 of the body
 */
public record Digest(long length, String sha256) {
  public Digest {
    requireNonNull(sha256, "sha256");
  }

  @Override
  public String toString() {
    return length + " bytes, sha256 " + sha256;
  }
}
