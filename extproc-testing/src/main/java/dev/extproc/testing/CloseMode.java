package dev.extproc.testing;

/** How FakeEnvoy ends the gRPC stream once the exchange is over. */
public enum CloseMode {
  /**
   * Envoy's default: half-close immediately followed by a reset, so the server sees CANCELLED. A
   * server must treat this as a normal end after its final reply.
   */
  RESET,
  /**
   * Envoy with {@code ext_proc_graceful_grpc_close}: half-close, then wait for the server to end
   * the stream. The server's final status is recorded, and any reply still arriving is caught as an
   * extra reply.
   */
  GRACEFUL
}
