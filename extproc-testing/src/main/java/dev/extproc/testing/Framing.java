package dev.extproc.testing;

/** How the HTTP peer's codec delivers the end of a body to Envoy, and so to the ext_proc server. */
public enum Framing {
  /**
   * HTTP/1: every body byte arrives with end_of_stream=false, then an empty last chunk carries
   * end_of_stream=true (unless trailers end the message). Envoy's usual behaviour with HTTP/1 peers.
   */
  HTTP1,
  /** HTTP/2: the last chunk with bytes carries end_of_stream=true (unless trailers end the message). */
  HTTP2
}
