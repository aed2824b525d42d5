package dev.extproc.app.e2e;

import dev.extproc.client.BodyDigest;
import dev.extproc.client.GeneratedBody;
import dev.extproc.client.RequestBody;

/**
 * A deterministic request body for the e2e tests: of any length and never held in memory (the HTTP
 * client's {@link GeneratedBody}: the client generates it while sending, and a test knows its
 * SHA-256 without keeping it), crafted bytes ({@link #ofBytes}) when a test needs particular
 * content, or another generated body ({@link #of}) whose expected response the test computes.
 *
 * @param seed selects the pseudo-random byte sequence
 * @param length the body length in bytes
 * @param content the body's bytes when it is crafted; null for a pseudo-random one
 * @param custom another body that generates itself; null for the others
 */
record BodySource(long seed, long length, byte[] content, RequestBody custom) implements RequestBody {

  BodySource {
    if (length < 0) {
      throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
    }
    if (content != null && content.length != length) {
      throw new IllegalArgumentException("content: " + content.length + " B (expected: length " + length + ")");
    }
  }

  /** A pseudo-random body. */
  BodySource(long seed, long length) {
    this(seed, length, null, null);
  }

  /** Returns a body that {@code custom} generates (its length must not change). */
  static BodySource of(RequestBody custom) {
    return new BodySource(0, custom.length(), null, custom);
  }

  /** Returns a body of exactly {@code content} (copied). */
  static BodySource ofBytes(byte[] content) {
    return new BodySource(0, content.length, content.clone(), null);
  }

  /** Returns a body of {@code length} bytes whose content depends on the length (a distinct seed). */
  static BodySource ofLength(long length) {
    GeneratedBody body = GeneratedBody.ofLength(length);
    return new BodySource(body.seed(), length);
  }

  @Override
  public Reader open() throws java.io.IOException {
    return custom != null ? custom.open() : content != null ? RequestBody.ofBytes(content).open() : generated().open();
  }

  /** Returns the digest of the whole body (for a generated one, computed by generating it once). */
  BodyDigest.Result expectedDigest() {
    if (custom != null) {
      throw new IllegalStateException("a custom body's expected digest is the test's to compute");
    }
    return content != null ? BodyDigest.Result.of(content) : generated().expectedDigest();
  }

  private GeneratedBody generated() {
    return new GeneratedBody(seed, length);
  }
}
