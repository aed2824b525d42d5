package dev.extproc.server;

import dev.extproc.ExtProcConfig;
import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;

/**
 * The gRPC transport settings the engine relies on behind Envoy. Apply them to any grpc-java Netty
 * server that hosts an {@code ExtProcService} (the embedding guides in {@code docs/operations.md}
 * do).
 */
public final class GrpcSettings {
  /**
   * The HTTP/2 flow-control window per stream (and the base of the connection window, see
   * {@link #credentials}). Fixed on purpose: setting it turns
   * off grpc-netty's BDP auto-tuning, which would otherwise grow windows to whatever Envoy can
   * push, moving the backlog into this JVM. With a fixed window the bytes in flight per stream
   * are bounded by the window, not by the body.
   */
  public static final int FLOW_CONTROL_WINDOW_BYTES = 1024 * 1024;

  private GrpcSettings() {}

  /**
   * Wraps {@code credentials} (plaintext, TLS or mTLS) so that each connection's window grows with
   * its open streams ({@code window × (1 + 2 × streams)}): grpc-java otherwise gives a connection
   * the window of one stream, and a stream whose messages are not yet requested holds it, starving
   * the other streams Envoy multiplexes on that connection. Use the result to create the
   * {@code NettyServerBuilder} (see docs/envoy.md, "Many side streams on one connection").
   */
  public static ServerCredentials credentials(ServerCredentials credentials) {
    return StreamScaledConnectionWindow.wrap(credentials, FLOW_CONTROL_WINDOW_BYTES);
  }

  /**
   * Sets the fixed flow-control window and the max inbound message size {@code config} needs.
   *
   * <p>It leaves gRPC's executor alone, because it applies to every service on the server. When
   * all of them are non-blocking (the ext_proc service is, given processors that do not block),
   * add {@code directExecutor()}: gRPC then calls the services on the transport's event loop,
   * which saves two thread hand-offs per message; {@code extproc server} does (see {@code
   * docs/benchmarks.md}, "Per-message overhead").
   */
  public static NettyServerBuilder apply(NettyServerBuilder builder, ExtProcConfig config) {
    return builder
        .flowControlWindow(FLOW_CONTROL_WINDOW_BYTES)
        .maxInboundMessageSize(config.maxInboundMessageBytes());
  }
}
