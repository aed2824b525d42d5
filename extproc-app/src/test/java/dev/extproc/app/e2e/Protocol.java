package dev.extproc.app.e2e;

/** The HTTP version a test client speaks to Envoy. */
enum Protocol {
  /** HTTP/1.1 over cleartext TCP. */
  HTTP_1_1,
  /** HTTP/2 cleartext with prior knowledge (h2c, no upgrade). */
  HTTP_2
}
