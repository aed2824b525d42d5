package dev.extproc.client;

/** How a request announces its body length. */
public enum BodyFraming {
  /** A {@code content-length} header announces the body length. */
  CONTENT_LENGTH,
  /**
   * No length announced: HTTP/1.1 {@code transfer-encoding: chunked}; HTTP/2 DATA frames without a
   * {@code content-length} header.
   */
  CHUNKED
}
