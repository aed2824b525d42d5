package dev.extproc.server;

import dev.extproc.ExtProcConfig;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;

/**
 * The gRPC transport settings the engine relies on behind Envoy. Apply them to any grpc-java Netty
 * server that hosts an {@code ExtProcService} (the embedding guides in {@code docs/operations.md}
 * do).
 */
public final class GrpcSettings {
  /**
   * The HTTP/2 flow-control window per stream, also the connection's initial window. Fixed on
   * purpose: setting it turns off grpc-netty's BDP auto-tuning, which would otherwise grow windows
   * to whatever Envoy can push, moving the backlog into this JVM. With a fixed window the bytes in
   * flight per stream are bounded by the window, not by the body. Messages the engine has not
   * requested hold only their stream's window: grpc-netty refills the connection window as frames
   * arrive, so streams multiplexed on one connection do not starve each other
   * ({@code SharedConnectionWindowTest}).
   */
  public static final int FLOW_CONTROL_WINDOW_BYTES = 1024 * 1024;

  private GrpcSettings() {}

  /**
   * Sets the fixed flow-control window and the max inbound message size {@code config} needs.
   *
   * <p>It leaves gRPC's executor alone. gRPC's {@code directExecutor()} (the services called on
   * the transport's event loop) saves two thread hand-offs per message, but through real Envoy it
   * stalled an exchange now and then until Envoy's message timeout (cause not found yet; see
   * {@code docs/benchmarks.md}, "Per-message overhead"), so {@code extproc server} does not set it.
   */
  public static NettyServerBuilder apply(NettyServerBuilder builder, ExtProcConfig config) {
    return builder
        .flowControlWindow(FLOW_CONTROL_WINDOW_BYTES)
        .maxInboundMessageSize(config.maxInboundMessageBytes());
  }
}
