package dev.extproc.app.e2e;

import dev.extproc.client.HttpProtocol;

/** The HTTP version a test client speaks to Envoy (the e2e tests' name for {@link HttpProtocol}). */
enum Protocol {
  /** HTTP/1.1 over cleartext TCP. */
  HTTP_1_1(HttpProtocol.HTTP_1_1),
  /** HTTP/2 cleartext with prior knowledge (h2c, no upgrade). */
  HTTP_2(HttpProtocol.HTTP_2);

  private final HttpProtocol wire;

  Protocol(HttpProtocol wire) {
    this.wire = wire;
  }

  HttpProtocol wire() {
    return wire;
  }
}
