package dev.extproc.app.e2e;

import dev.extproc.client.BodyDigest;
import dev.extproc.client.GeneratedBody;
import dev.extproc.client.RequestBody;

/**
 * A deterministic request body of any length that is never held in memory (the HTTP client's
 * {@link GeneratedBody} under the e2e tests' name): the client generates it while sending, and a
 * test knows its SHA-256 without keeping it.
 *
 * @param seed selects the pseudo-random byte sequence
 * @param length the body length in bytes
 */
record BodySource(long seed, long length) implements RequestBody {

  BodySource {
    if (length < 0) {
      throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
    }
  }

  /** Returns a body of {@code length} bytes whose content depends on the length (a distinct seed). */
  static BodySource ofLength(long length) {
    GeneratedBody body = GeneratedBody.ofLength(length);
    return new BodySource(body.seed(), length);
  }

  @Override
  public Reader open() {
    return generated().open();
  }

  /** Returns the digest of the whole body, computed by generating it once. */
  BodyDigest.Result expectedDigest() {
    return generated().expectedDigest();
  }

  private GeneratedBody generated() {
    return new GeneratedBody(seed, length);
  }
}
