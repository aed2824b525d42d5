package dev.extproc.app.e2e;

import dev.extproc.client.BodyFraming;

/** How a test client delimits a request body (the e2e tests' name for {@link BodyFraming}). */
enum Framing {
  /** A {@code content-length} header announces the body length. */
  CONTENT_LENGTH(BodyFraming.CONTENT_LENGTH),
  /**
   * No length announced: HTTP/1.1 {@code transfer-encoding: chunked}; HTTP/2 DATA frames without a
   * {@code content-length} header.
   */
  CHUNKED(BodyFraming.CHUNKED);

  private final BodyFraming wire;

  Framing(BodyFraming wire) {
    this.wire = wire;
  }

  BodyFraming wire() {
    return wire;
  }
}
