package dev.extproc.transforms;

/**
 * A body the transform cannot process: malformed gzip, invalid UTF-8, truncated JSON, a body over
 * a limit, an unsupported encoding or charset. Carries the HTTP status a client should get when
 * the error is found before the direction's headers have gone (400, 413, 415, 502, 507) and a
 * one-line reason that names the rule.
 */
public final class TransformException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;

  public TransformException(int status, String reason) {
    super(reason);
    this.status = status;
  }

  public TransformException(int status, String reason, Throwable cause) {
    super(reason, cause);
    this.status = status;
  }

  /** Returns the HTTP status that describes the error. */
  public int status() {
    return status;
  }
}
