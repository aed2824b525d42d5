package dev.extproc.internal;

import dev.extproc.ExchangeObserver;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcStats;
import dev.extproc.ProcessorFactory;
import dev.extproc.testing.FakeEnvoy;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The engine served over grpc-netty-shaded on 127.0.0.1 (an ephemeral port), with a {@link
 * FakeEnvoy} connected to it: gRPC hands the engine Netty's detachable buffers, so zero-copy
 * parsing and buffer release are exercised for real. Messages of at least {@code zeroCopyMinBytes}
 * are parsed without copying (0: all of them). The server's window and message limit are those of
 * {@code extproc-server} (1 MiB fixed window).
 */
public final class NettyTransport implements AutoCloseable {
  private final ServiceState state;
  private final Server server;
  private final ManagedChannel channel;
  private final FakeEnvoy envoy;

  public NettyTransport(ProcessorFactory factory, ExtProcConfig config, ScheduledExecutorService scheduler, int zeroCopyMinBytes) {
    this.state = new ServiceState(factory, config, scheduler, ExchangeObserver.NONE);
    try {
      this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .addService(state.bindService(zeroCopyMinBytes))
          .flowControlWindow(1024 * 1024)
          .maxInboundMessageSize(config.maxInboundMessageBytes())
          .build()
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the test server on 127.0.0.1", e);
    }
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext()
        .maxInboundMessageSize(config.maxInboundMessageBytes() + 1024 * 1024).build();
    this.envoy = FakeEnvoy.forChannel(channel);
  }

  public FakeEnvoy envoy() {
    return envoy;
  }

  io.grpc.Channel channel() {
    return channel;
  }

  public ExtProcStats stats() {
    return state.stats();
  }

  /** Stops the server now (as a shutdown does: every open stream is cancelled). */
  void shutdownServerNow() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    envoy.close();
    channel.shutdownNow();
    server.shutdownNow();
    channel.awaitTermination(10, TimeUnit.SECONDS);
    server.awaitTermination(10, TimeUnit.SECONDS);
  }
}
