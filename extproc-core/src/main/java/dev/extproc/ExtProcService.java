package dev.extproc;

import static java.util.Objects.requireNonNull;

import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The ext_proc gRPC service ({@code envoy.service.ext_proc.v3.ExternalProcessor/Process}): one
 * stream per HTTP exchange, driven by the processors a {@link ProcessorFactory} makes.
 *
 * <pre>{@code
 * ExtProcService service = ExtProcService.builder(exchange -> new MyProcessor())
 *     .config(ExtProcConfig.defaults())
 *     .scheduler(scheduler)
 *     .build();
 * Server server = NettyServerBuilder.forPort(9001)
 *     .maxInboundMessageSize(service.config().maxInboundMessageBytes())
 *     .flowControlWindow(1024 * 1024) // fixed: no BDP auto-tuning, windows bound memory
 *     .addService(service)
 *     .build().start();
 * }</pre>
 *
 * <p><b>Threading.</b> The service never blocks a gRPC thread: each stream's work runs serially,
 * one task at a time, on whichever thread delivers it (a gRPC callback, a stage completion). Keep
 * gRPC's default executor: the direct executor saved two
 * thread hand-offs per message in a benchmark but stalled exchanges now and then through real
 * Envoy (docs/benchmarks.md, "Per-message overhead").
 */
public final class ExtProcService implements BindableService {
  private final ProcessorFactory factory;
  private final ExtProcConfig config;
  private final ScheduledExecutorService scheduler;
  private final dev.extproc.internal.ServiceState state;

  private ExtProcService(Builder builder) {
    this.factory = builder.factory;
    this.config = builder.config;
    this.scheduler = requireNonNull(builder.scheduler, "scheduler (call Builder.scheduler)");
    this.state = new dev.extproc.internal.ServiceState(factory, config, scheduler, builder.observer);
  }

  /** Returns a builder for a service whose exchanges are handled by processors from {@code factory}. */
  public static Builder builder(ProcessorFactory factory) {
    return new Builder(requireNonNull(factory, "factory"));
  }

  /** Returns the configuration in force. */
  public ExtProcConfig config() {
    return config;
  }

  /** Returns live counters. */
  public ExtProcStats stats() {
    return state.stats();
  }

  @Override
  public ServerServiceDefinition bindService() {
    return state.bindService();
  }

  /** Builds an {@link ExtProcService}. */
  public static final class Builder {
    private final ProcessorFactory factory;
    private ExtProcConfig config = ExtProcConfig.defaults();
    private ScheduledExecutorService scheduler;
    private ExchangeObserver observer = ExchangeObserver.NONE;

    private Builder(ProcessorFactory factory) {
      this.factory = factory;
    }

    /** Sets the limits and defaults; {@link ExtProcConfig#defaults()} when not called. */
    public Builder config(ExtProcConfig config) {
      this.config = requireNonNull(config, "config");
      return this;
    }

    /**
     * Sets the scheduler exchanges use for timers and for hopping back onto a stream after an
     * asynchronous stage completes. The caller owns it and shuts it down after the server.
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** Sets who sees every exchange's events and summary (metrics, logs); {@link ExchangeObserver#NONE} when not called. */
    public Builder observer(ExchangeObserver observer) {
      this.observer = requireNonNull(observer, "observer");
      return this;
    }

    /** Returns the service. */
    public ExtProcService build() {
      return new ExtProcService(this);
    }
  }
}
