package dev.extproc.app;

import static java.util.Objects.requireNonNull;

import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.ExtProcStats;
import dev.extproc.app.ProcessorOptions.ProcessorSetup;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.services.HealthStatusManager;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running ext_proc server: the gRPC server (ext_proc service, health, reflection), its admin
 * HTTP server, the scheduler the exchanges share and the processors' resources. Made by {@link
 * #start}, ended by {@link #stop} (graceful, idempotent, thread-safe).
 */
final class ExtProcServer {
  private static final Logger log = LoggerFactory.getLogger(ExtProcServer.class);

  /**
   * The HTTP/2 flow-control window per stream and connection. Fixed on purpose: setting it turns
   * off grpc-netty's BDP auto-tuning, which would otherwise grow windows to whatever Envoy can
   * push, moving the backlog into this JVM. With a fixed window the bytes in flight per stream
   * are bounded by the window, not by the body.
   */
  static final int FLOW_CONTROL_WINDOW_BYTES = 1024 * 1024;

  private final ExtProcService service;
  private final Server grpc;
  private final AdminServer admin;
  private final HealthStatusManager health;
  private final ScheduledExecutorService scheduler;
  private final ProcessorSetup setup;
  private boolean stopped;

  private ExtProcServer(ExtProcService service, Server grpc, AdminServer admin, HealthStatusManager health,
      ScheduledExecutorService scheduler, ProcessorSetup setup) {
    this.service = service;
    this.grpc = grpc;
    this.admin = admin;
    this.health = health;
    this.scheduler = scheduler;
    this.setup = setup;
  }

  /** Binds and starts both servers on {@code host}; port 0 picks an ephemeral port. */
  static ExtProcServer start(String host, int port, int adminPort, ExtProcConfig config, ProcessorSetup setup)
      throws IOException {
    requireNonNull(host, "host");
    requireNonNull(config, "config");
    requireNonNull(setup, "setup");
    AtomicInteger threads = new AtomicInteger();
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, task -> {
      Thread thread = new Thread(task, "extproc-scheduler-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    Server grpc = null;
    try {
      ExtProcService service = ExtProcService.builder(setup.factory()).config(config).scheduler(scheduler).build();
      HealthStatusManager health = new HealthStatusManager();
      grpc = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
          .maxInboundMessageSize(config.maxInboundMessageBytes())
          .flowControlWindow(FLOW_CONTROL_WINDOW_BYTES)
          .addService(service)
          .addService(health.getHealthService())
          .addService(ProtoReflectionServiceV1.newInstance())
          .build()
          .start();
      health.setStatus("", ServingStatus.SERVING);
      health.setStatus("envoy.service.ext_proc.v3.ExternalProcessor", ServingStatus.SERVING);
      AdminServer admin = AdminServer.start(host, adminPort, gauges(service.stats(), setup.gauges()));
      return new ExtProcServer(service, grpc, admin, health, scheduler, setup);
    } catch (IOException | RuntimeException e) {
      if (grpc != null) {
        grpc.shutdownNow();
      }
      scheduler.shutdownNow();
      throw e;
    }
  }

  /** Returns the gauges /stats and /metrics export, in a stable order. */
  static Map<String, LongSupplier> gauges(ExtProcStats stats, Map<String, LongSupplier> processorGauges) {
    Map<String, LongSupplier> gauges = new LinkedHashMap<>();
    gauges.put("active_streams", stats::activeStreams);
    gauges.put("streams_started", stats::streamsStarted);
    gauges.put("streams_completed", stats::streamsCompleted);
    gauges.put("streams_cancelled", stats::streamsCancelled);
    gauges.put("streams_failed", stats::streamsFailed);
    gauges.put("protocol_errors", stats::protocolErrors);
    gauges.put("immediate_responses", stats::immediateResponses);
    gauges.put("messages_received", stats::messagesReceived);
    gauges.put("messages_sent", stats::messagesSent);
    gauges.put("bytes_held", stats::bytesHeld);
    gauges.put("peak_bytes_held_per_stream", stats::peakBytesHeldPerStream);
    gauges.put("heap_used_bytes", () -> ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    gauges.put("heap_live_after_gc_bytes", ExtProcServer::heapLiveAfterGc);
    processorGauges.forEach(gauges::putIfAbsent);
    return gauges;
  }

  /**
   * Returns the heap in use right after the last collection of each heap pool, summed: the live set
   * without the garbage that {@code heap_used_bytes} also counts (0 before the first collection).
   */
  static long heapLiveAfterGc() {
    long live = 0;
    for (java.lang.management.MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      java.lang.management.MemoryUsage afterGc = pool.getType() == java.lang.management.MemoryType.HEAP
          ? pool.getCollectionUsage() : null;
      if (afterGc != null) {
        live += afterGc.getUsed();
      }
    }
    return live;
  }

  int grpcPort() {
    return grpc.getPort();
  }

  int adminPort() {
    return admin.port();
  }

  ExtProcStats stats() {
    return service.stats();
  }

  /**
   * Stops gracefully: reports draining (admin 503, gRPC health NOT_SERVING), stops accepting new
   * streams, lets streams in flight finish within {@code grace}, then cancels the rest and
   * releases everything.
   */
  synchronized void stop(Duration grace) {
    if (stopped) {
      return;
    }
    stopped = true;
    log.info("draining: no new streams; {} in flight, grace {}", service.stats().activeStreams(), grace);
    admin.draining();
    health.enterTerminalState();
    grpc.shutdown();
    try {
      if (!grpc.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("grace {} over: cancelling {} streams still open", grace, service.stats().activeStreams());
        grpc.shutdownNow();
        grpc.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      grpc.shutdownNow();
    } finally {
      admin.stop();
      try {
        setup.resources().close();
      } catch (Exception e) {
        log.warn("closing processor resources failed: {}", e.toString());
      }
      scheduler.shutdownNow();
      log.info("stopped; {}", service.stats());
    }
  }

  /** Blocks until the gRPC server has terminated. */
  void awaitTermination() throws InterruptedException {
    grpc.awaitTermination();
  }
}
