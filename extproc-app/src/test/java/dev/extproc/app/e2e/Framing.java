package dev.extproc.app.e2e;

/** How a test client delimits a request body. */
enum Framing {
  /** A {@code content-length} header announces the body length. */
  CONTENT_LENGTH,
  /**
   * No length announced: HTTP/1.1 {@code transfer-encoding: chunked}; HTTP/2 DATA frames without a
   * {@code content-length} header.
   */
  CHUNKED
}
