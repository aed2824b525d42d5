package dev.extproc.server;

import static java.util.Objects.requireNonNull;

import dev.extproc.ExtProcStats;
import io.grpc.ServerInterceptor;
import io.grpc.netty.shaded.io.netty.buffer.ByteBufAllocatorMetric;
import io.grpc.netty.shaded.io.netty.buffer.PooledByteBufAllocator;
import io.grpc.netty.shaded.io.netty.util.internal.PlatformDependent;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The server's Prometheus registry: every series named {@code extproc_*}, with the engine's
 * gauges (streams open, body bytes held now and peak), the exchange meters of {@link
 * MetricsObserver}, JVM memory/GC/threads, Netty's direct memory (the gRPC transport's pooled
 * allocator) and gRPC's own server metrics.
 *
 * <p>Why Micrometer and not OpenTelemetry: the Prometheus text exposition with HELP/TYPE, {@code
 * _total} counters and fixed histogram buckets comes from the Prometheus registry with no SDK, no
 * exporter thread and no collector; it ships ready binders for the JVM and for gRPC servers, is
 * one small dependency tree, and an application that embeds the server can hand in its own
 * registry (Spring Boot and Armeria already use Micrometer).
 *
 * <p>Made once per server; closing it stops the GC listener.
 */
public final class ServerMetrics implements AutoCloseable {
  /** The prefix of every series this registry exports. */
  public static final String PREFIX = "extproc.";

  private final PrometheusMeterRegistry registry;
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final MetricsObserver observer;

  /** Makes a Prometheus registry with the JVM and Netty meters bound. */
  public ServerMetrics() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(prefixEverything());
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    ByteBufAllocatorMetric netty = PooledByteBufAllocator.DEFAULT.metric();
    Gauge.builder("netty.allocator.memory.used", netty, ByteBufAllocatorMetric::usedDirectMemory)
        .description("Direct memory held by the gRPC transport's pooled Netty allocator")
        .baseUnit("bytes").tag("memory", "direct").register(registry);
    Gauge.builder("netty.allocator.memory.used", netty, ByteBufAllocatorMetric::usedHeapMemory)
        .description("Heap memory held by the gRPC transport's pooled Netty allocator")
        .baseUnit("bytes").tag("memory", "heap").register(registry);
    Gauge.builder("netty.direct.memory.used", () -> Math.max(0, PlatformDependent.usedDirectMemory()))
        .description("Direct memory Netty (gRPC transport) has reserved, pooled or not")
        .baseUnit("bytes").register(registry);
    observer = new MetricsObserver(registry);
  }

  /** Returns the registry; {@link PrometheusMeterRegistry#scrape()} is the {@code /metrics} body. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Returns the observer that feeds the exchange meters; pass it to {@code ExtProcService.Builder.observer}. */
  public MetricsObserver observer() {
    return observer;
  }

  /** Returns a server interceptor recording gRPC's own per-method request and response metrics. */
  public ServerInterceptor grpcInterceptor() {
    return new MetricCollectingServerInterceptor(registry);
  }

  /** Registers the engine's live gauges (streams open, bytes held, peak bytes per stream). */
  public void bindStats(ExtProcStats stats) {
    requireNonNull(stats, "stats");
    Gauge.builder("exchanges.active", stats, ExtProcStats::activeStreams)
        .description("ext_proc streams open right now").register(registry);
    Gauge.builder("body.held", stats, ExtProcStats::bytesHeld).baseUnit("bytes")
        .description("Body bytes the engine holds right now across all streams").register(registry);
    Gauge.builder("body.held.peak.per.exchange", stats, ExtProcStats::peakBytesHeldPerStream).baseUnit("bytes")
        .description("The most body bytes one stream has held at once since start").register(registry);
  }

  /** Registers extra gauges (for example a processor's open files) as {@code extproc_<name>}. */
  public void bindGauges(Map<String, LongSupplier> gauges) {
    gauges.forEach((name, value) -> Gauge.builder(name, value, v -> v.getAsLong())
        .description("Processor gauge " + name).register(registry));
  }

  /** Registers extra ever-growing counts (for example tokens accounted) as counters {@code extproc_<name>_total}. */
  public void bindCounters(Map<String, LongSupplier> counters) {
    counters.forEach((name, value) -> FunctionCounter.builder(name, value, v -> v.getAsLong())
        .description("Processor counter " + name).register(registry));
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }

  private static MeterFilter prefixEverything() {
    return new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        return id.getName().startsWith(PREFIX) ? id : id.withName(PREFIX + id.getName());
      }
    };
  }
}
