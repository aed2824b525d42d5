package dev.extproc.server;

import dev.extproc.ExtProcService;
import dev.extproc.ExtProcStats;
import dev.extproc.ProcessorFactory;
import io.grpc.Server;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running ext_proc server: the gRPC server (ext_proc, health, reflection) with the engine's
 * flow-control settings, its admin HTTP server, metrics, and whatever it was told to close. Made
 * by {@link ExtProcServerBuilder#start()}:
 *
 * <pre>{@code
 * ExtProcServer server = ExtProcServer.builder(exchange -> new MyProcessor())
 *     .listener(Listener.tcp("0.0.0.0", 9001))
 *     .tls(ServerTls.of(cert, key).withClientCa(ca))
 *     .admin(new InetSocketAddress("127.0.0.1", 9002))
 *     .start();
 * Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(Duration.ofSeconds(10))));
 * server.awaitTermination();
 * }</pre>
 *
 * <p>{@link #stop} is graceful, idempotent and thread-safe.
 */
public final class ExtProcServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ExtProcServer.class);

  /** The gRPC health service names the server reports: the whole server and the ext_proc service. */
  static final List<String> HEALTH_SERVICES = List.of("", "envoy.service.ext_proc.v3.ExternalProcessor");

  private final ExtProcService service;
  private final Server grpc;
  private final Listener listener;
  private final @Nullable AdminServer admin;
  private final HealthStatusManager health;
  private final ServerMetrics metrics;
  private final ScheduledExecutorService scheduler;
  private final @Nullable AutoCloseable tlsReload;
  private final List<AutoCloseable> resources;
  private final Duration defaultGrace;
  private final StatsJson statsJson;
  private volatile boolean draining;
  private boolean stopped;

  ExtProcServer(ExtProcService service, Server grpc, Listener listener, @Nullable AdminServer admin,
      HealthStatusManager health, ServerMetrics metrics, ScheduledExecutorService scheduler,
      @Nullable AutoCloseable tlsReload, List<AutoCloseable> resources, Duration defaultGrace, StatsJson statsJson) {
    this.service = service;
    this.grpc = grpc;
    this.listener = listener;
    this.admin = admin;
    this.health = health;
    this.metrics = metrics;
    this.scheduler = scheduler;
    this.tlsReload = tlsReload;
    this.resources = resources;
    this.defaultGrace = defaultGrace;
    this.statsJson = statsJson;
  }

  /** Returns a builder for a server whose exchanges are handled by processors from {@code factory}. */
  public static ExtProcServerBuilder builder(ProcessorFactory factory) {
    return new ExtProcServerBuilder(factory);
  }

  /** Returns the address the gRPC server listens on (an InetSocketAddress, or a domain socket address). */
  public SocketAddress grpcAddress() {
    return grpc.getListenSockets().get(0);
  }

  /** Returns the gRPC TCP port, or -1 when listening on a Unix domain socket. */
  public int grpcPort() {
    return grpcAddress() instanceof InetSocketAddress inet ? inet.getPort() : -1;
  }

  /** Returns the admin port, or -1 when there is no admin server. */
  public int adminPort() {
    return admin == null ? -1 : admin.port();
  }

  /** Returns the service's live counters. */
  public ExtProcStats stats() {
    return service.stats();
  }

  /** Returns the metrics registry ({@code /metrics}); add your own meters to it. */
  public ServerMetrics metrics() {
    return metrics;
  }

  /** Returns the {@code /stats} JSON object as served now. */
  public String statsJson() {
    return statsJson.render(service.stats());
  }

  /** Returns whether {@link #stop} has begun: health reports NOT_SERVING and /healthz 503. */
  public boolean draining() {
    return draining;
  }

  /**
   * Stops gracefully: reports draining (admin {@code /healthz} 503, gRPC health NOT_SERVING),
   * refuses new streams, lets streams in flight finish within {@code grace}, then cancels the rest
   * and releases everything (admin server, TLS reloads, resources, scheduler). Blocks until done.
   */
  public synchronized void stop(Duration grace) {
    if (stopped) {
      return;
    }
    stopped = true;
    draining = true;
    log.info("draining: no new streams; {} in flight, grace {}", service.stats().activeStreams(), grace);
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
      listener.closed();
      closeQuietly(admin, "admin server");
      closeQuietly(tlsReload, "TLS reload");
      for (AutoCloseable resource : resources) {
        closeQuietly(resource, "resource " + resource);
      }
      scheduler.shutdownNow();
      metrics.close();
      log.info("stopped; {}", service.stats());
    }
  }

  /** Stops with the builder's drain grace ({@link ExtProcServerBuilder#drainGrace}). */
  @Override
  public void close() {
    stop(defaultGrace);
  }

  /** Blocks until the gRPC server has terminated. */
  public void awaitTermination() throws InterruptedException {
    grpc.awaitTermination();
  }

  private static void closeQuietly(@Nullable AutoCloseable closeable, String what) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception e) {
      log.warn("closing {} failed: {}", what, e.toString());
    }
  }
}
