package dev.extproc.app.fuzz;

import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.ExtProcStats;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The engine under fuzz: one {@link ExtProcService} with 64 KiB body messages (so an oversized
 * message costs about 1 MiB) and a {@link CountingResourceFactory}, served in-process and by
 * Netty on 127.0.0.1 (an ephemeral port), with a client channel to each. {@link #close()} stops
 * everything it started.
 */
public final class FuzzTarget implements AutoCloseable {
  private final Path resource;
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
  private final ExtProcConfig config = ExtProcConfig.defaults().withMaxBodyMessageBytes(64 * 1024);
  private final CountingResourceFactory factory;
  private final ExtProcService service;
  private final Server inProcessServer;
  private final Server nettyServer;
  private final ManagedChannel inProcess;
  private final ManagedChannel netty;

  /** Starts the servers and channels. */
  public FuzzTarget() throws IOException {
    resource = Files.createTempFile("extproc-fuzz", ".resource");
    factory = new CountingResourceFactory(resource);
    service = ExtProcService.builder(factory).config(config).scheduler(scheduler).build();
    String name = InProcessServerBuilder.generateName();
    inProcessServer =
        InProcessServerBuilder.forName(name).maxInboundMessageSize(config.maxInboundMessageBytes()).addService(service).build().start();
    nettyServer =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .maxInboundMessageSize(config.maxInboundMessageBytes())
            .addService(service)
            .build()
            .start();
    inProcess = InProcessChannelBuilder.forName(name).maxInboundMessageSize(64 << 20).build();
    netty = NettyChannelBuilder.forAddress("127.0.0.1", nettyServer.getPort()).usePlaintext().maxInboundMessageSize(64 << 20).build();
  }

  /** Returns the client channel over the in-process transport. */
  public Channel inProcess() {
    return inProcess;
  }

  /** Returns the client channel over Netty on loopback. */
  public Channel netty() {
    return netty;
  }

  /** Returns the engine's inbound message limit. */
  public int maxInboundMessageBytes() {
    return config.maxInboundMessageBytes();
  }

  /** Returns the engine's counters. */
  public ExtProcStats stats() {
    return service.stats();
  }

  /** Returns what is held right now. */
  public FuzzReport.Leftovers leftovers() {
    ExtProcStats stats = service.stats();
    return new FuzzReport.Leftovers(
        stats.activeStreams(), stats.bytesHeld(), factory.openFiles(), factory.made(), factory.closes(),
        factory.doubleCloses(), stats.streamsStarted(), stats.protocolErrors(), factory.outcomes());
  }

  /** Waits until nothing is held (or {@code timeout}), then returns what is. */
  public FuzzReport.Leftovers settle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      FuzzReport.Leftovers left = leftovers();
      if (left.clean() || System.nanoTime() > deadline) {
        return left;
      }
      // A few counters to poll: the engine offers no idle callback.
      Thread.sleep(20);
    }
  }

  @Override
  public void close() throws IOException {
    inProcess.shutdownNow();
    netty.shutdownNow();
    inProcessServer.shutdownNow();
    nettyServer.shutdownNow();
    scheduler.shutdownNow();
    try {
      inProcess.awaitTermination(10, TimeUnit.SECONDS);
      netty.awaitTermination(10, TimeUnit.SECONDS);
      inProcessServer.awaitTermination(10, TimeUnit.SECONDS);
      nettyServer.awaitTermination(10, TimeUnit.SECONDS);
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      Files.deleteIfExists(resource);
    }
  }
}
