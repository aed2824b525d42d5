package dev.extproc.server;

import static java.util.Objects.requireNonNull;

import dev.extproc.ExchangeObserver;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.ProcessorFactory;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Builds and starts an {@link ExtProcServer}. Not thread-safe; use once. Defaults: TCP on
 * 127.0.0.1:9001, plaintext, no admin server, {@link ExtProcConfig#defaults()}, 10 s drain grace,
 * 10 s admin request timeout, no per-exchange log lines.
 */
public final class ExtProcServerBuilder {
  private final ProcessorFactory factory;
  private ExtProcConfig config = ExtProcConfig.defaults();
  private Listener listener = Listener.tcp("127.0.0.1", 9001);
  private @Nullable ServerTls tls;
  private @Nullable InetSocketAddress admin;
  private Duration adminRequestTimeout = Duration.ofSeconds(10);
  private Duration drainGrace = Duration.ofSeconds(10);
  private boolean logExchanges;
  private final Map<String, LongSupplier> gauges = new LinkedHashMap<>();
  private final Map<String, LongSupplier> counters = new LinkedHashMap<>();
  private final List<ExchangeObserver> observers = new ArrayList<>();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private @Nullable Executor callExecutor;

  ExtProcServerBuilder(ProcessorFactory factory) {
    this.factory = requireNonNull(factory, "factory");
  }

  /** Sets the engine's limits and defaults. */
  public ExtProcServerBuilder config(ExtProcConfig value) {
    config = requireNonNull(value, "config");
    return this;
  }

  /** Sets where gRPC listens ({@link Listener#tcp} or {@link Listener#uds}). */
  public ExtProcServerBuilder listener(Listener value) {
    listener = requireNonNull(value, "listener");
    return this;
  }

  /** Serves gRPC over TLS (mTLS when the settings name a client CA); plaintext when not called. */
  public ExtProcServerBuilder tls(@Nullable ServerTls value) {
    tls = value;
    return this;
  }

  /** Serves /healthz, /stats and /metrics on {@code address}; bind it to loopback unless it must be reached from outside. */
  public ExtProcServerBuilder admin(@Nullable InetSocketAddress address) {
    admin = address;
    return this;
  }

  /** Sets how long an admin connection may take to send a whole request. */
  public ExtProcServerBuilder adminRequestTimeout(Duration value) {
    adminRequestTimeout = requireNonNull(value, "adminRequestTimeout");
    return this;
  }

  /** Sets the drain grace {@link ExtProcServer#close()} uses. */
  public ExtProcServerBuilder drainGrace(Duration value) {
    drainGrace = requireNonNull(value, "drainGrace");
    return this;
  }

  /** Logs one INFO summary line per exchange ({@link ExchangeLogObserver}). */
  public ExtProcServerBuilder logExchanges(boolean value) {
    logExchanges = value;
    return this;
  }

  /** Exports {@code value} in /stats as {@code name} and in /metrics as {@code extproc_<name>}. */
  public ExtProcServerBuilder gauge(String name, LongSupplier value) {
    gauges.put(requireNonNull(name, "name"), requireNonNull(value, "value"));
    return this;
  }

  /**
   * Exports the ever-growing count {@code value} in /stats as {@code name} and in /metrics as the
   * counter {@code extproc_<name>_total} (for example tokens a processor accounted).
   */
  public ExtProcServerBuilder counter(String name, LongSupplier value) {
    counters.put(requireNonNull(name, "name"), requireNonNull(value, "value"));
    return this;
  }

  /** Adds an observer of every exchange, called after the metrics. */
  public ExtProcServerBuilder observer(ExchangeObserver value) {
    observers.add(requireNonNull(value, "observer"));
    return this;
  }

  /**
   * Sets the executor gRPC calls the services on; by default (null) gRPC's own, a cached thread
   * pool. Give a bounded pool to cap the threads that processors which block can tie up. The
   * caller owns and shuts down the executor.
   */
  public ExtProcServerBuilder callExecutor(@Nullable Executor value) {
    callExecutor = value;
    return this;
  }

  /**
   * Closes {@code resource} when the server has stopped (for example the processors' files). When
   * {@link #start()} throws, nothing was started and the caller still owns the resource.
   */
  public ExtProcServerBuilder closeOnStop(AutoCloseable resource) {
    resources.add(requireNonNull(resource, "resource"));
    return this;
  }

  /**
   * Checks the settings (TLS files, UDS path), then binds and starts gRPC and admin.
   *
   * @throws IllegalArgumentException when a setting is invalid; nothing was bound then
   * @throws IOException when a listener cannot bind; nothing is left running then
   */
  public ExtProcServer start() throws IOException {
    listener.validate();
    if (tls != null) {
      tls.validate();
    }
    JulBridge.install();
    ScheduledExecutorService scheduler = newScheduler();
    ServerMetrics metrics = new ServerMetrics();
    ServerTls.Loaded tlsLoaded = null;
    Server grpc = null;
    AdminServer adminServer = null;
    try {
      List<ExchangeObserver> all = new ArrayList<>();
      all.add(metrics.observer());
      if (logExchanges) {
        all.add(new ExchangeLogObserver());
      }
      all.addAll(observers);
      ExtProcService service = ExtProcService.builder(factory).config(config).scheduler(scheduler)
          .observer(CompositeObserver.of(all)).build();
      metrics.bindStats(service.stats());
      metrics.bindGauges(gauges);
      metrics.bindCounters(counters);
      tlsLoaded = tls == null ? null : tls.load(scheduler);
      HealthStatusManager health = new HealthStatusManager();
      NettyServerBuilder grpcBuilder = GrpcSettings.apply(listener.newServerBuilder(
          tlsLoaded == null ? InsecureServerCredentials.create() : tlsLoaded.credentials()), config);
      // gRPC's default executor unless told otherwise: gRPC's direct executor (the event loop)
      // saved two thread hand-offs per message but stalled an exchange now and then through real
      // Envoy (docs/benchmarks.md, "Per-message overhead"), so it is not the default.
      grpc = (callExecutor == null ? grpcBuilder : grpcBuilder.executor(callExecutor))
          .addService(ServerInterceptors.intercept(service, metrics.grpcInterceptor()))
          .addService(health.getHealthService())
          .addService(ProtoReflectionServiceV1.newInstance())
          .build()
          .start();
      listener.started();
      for (String name : ExtProcServer.HEALTH_SERVICES) {
        health.setStatus(name, ServingStatus.SERVING);
      }
      Map<String, LongSupplier> statsExtra = new java.util.LinkedHashMap<>(gauges);
      statsExtra.putAll(counters);
      StatsJson stats = new StatsJson(statsExtra);
      ExtProcServer[] self = new ExtProcServer[1];
      if (admin != null) {
        adminServer = AdminServer.start(admin, new AdminEndpoints() {
          @Override
          public boolean draining() {
            return self[0] == null || self[0].draining();
          }

          @Override
          public String statsJson() {
            return stats.render(service.stats());
          }

          @Override
          public String metricsText() {
            return metrics.registry().scrape();
          }
        }, adminRequestTimeout);
      }
      self[0] = new ExtProcServer(service, grpc, listener, adminServer, health, metrics, scheduler, tlsLoaded,
          List.copyOf(resources), drainGrace, stats);
      return self[0];
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      if (grpc != null) {
        grpc.shutdownNow();
      }
      listener.closed();
      if (tlsLoaded != null) {
        tlsLoaded.close();
      }
      scheduler.shutdownNow();
      metrics.close();
      if (e instanceof GeneralSecurityException security) {
        throw new IllegalArgumentException("tls: " + security.getMessage(), security);
      }
      if (e instanceof IOException io) {
        throw io;
      }
      throw (RuntimeException) e;
    }
  }

  private static ScheduledExecutorService newScheduler() {
    AtomicInteger threads = new AtomicInteger();
    return Executors.newScheduledThreadPool(2, task -> {
      Thread thread = new Thread(task, "extproc-scheduler-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
  }
}
