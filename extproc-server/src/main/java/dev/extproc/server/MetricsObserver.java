package dev.extproc.server;

import static java.util.Objects.requireNonNull;

import dev.extproc.Direction;
import dev.extproc.ExchangeInfo;
import dev.extproc.ExchangeObserver;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExchangeSummary;
import dev.extproc.MessagePart;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Turns the engine's per-exchange events into Micrometer meters: exchanges started and ended (by
 * outcome and body modes), messages and body bytes each way, per-event processor latency and
 * per-exchange duration histograms, flow-control pauses and processor errors.
 *
 * <p>Meter names are given without the {@code extproc.} prefix that {@link ServerMetrics} adds, so
 * {@code exchanges.started} is exported as {@code extproc_exchanges_started_total}. Thread-safe: every
 * method only increments Micrometer meters, which are lock-free; the meters an event needs are made
 * once here, so the hot path ({@link #onMessageReceived}, {@link #onMessageSent}, {@link
 * #onProcessorEvent}) does no registry lookup.
 */
public final class MetricsObserver implements ExchangeObserver {
  /** Processor latency buckets: from 100 µs (a pass-through) to 10 s (a stuck processor). */
  private static final Duration[] LATENCY_BUCKETS = durations(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 10);
  /** Exchange duration buckets: from 1 ms (headers only) to 10 min (a long upload). */
  private static final Duration[] DURATION_BUCKETS = durations(0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600);

  private final MeterRegistry registry;
  private final Map<Direction, Map<MessagePart, Counter>> received = new EnumMap<>(Direction.class);
  private final Map<Direction, Map<MessagePart, Counter>> sent = new EnumMap<>(Direction.class);
  private final Map<Direction, Counter> bodyBytesReceived = new EnumMap<>(Direction.class);
  private final Map<Direction, Counter> bodyBytesSent = new EnumMap<>(Direction.class);
  private final Map<Direction, Map<MessagePart, Timer>> latency = new EnumMap<>(Direction.class);
  private final Map<Direction, Timer> endLatency = new EnumMap<>(Direction.class);
  private final Counter inboundPaused;
  private final Counter outboundNotReady;
  private final Counter processorErrors;

  /** Registers the meters on {@code registry}. */
  public MetricsObserver(MeterRegistry registry) {
    this.registry = requireNonNull(registry, "registry");
    for (Direction direction : Direction.values()) {
      Map<MessagePart, Counter> in = new EnumMap<>(MessagePart.class);
      Map<MessagePart, Counter> out = new EnumMap<>(MessagePart.class);
      Map<MessagePart, Timer> timers = new EnumMap<>(MessagePart.class);
      for (MessagePart part : MessagePart.values()) {
        if (part != MessagePart.IMMEDIATE_RESPONSE) {
          in.put(part, messages("messages.received", "ProcessingRequest messages received from Envoy", direction, part));
          timers.put(part, latency(direction, part.label()));
        }
        out.put(part, messages("messages.sent", "ProcessingResponse messages sent to Envoy", direction, part));
      }
      received.put(direction, in);
      sent.put(direction, out);
      latency.put(direction, timers);
      endLatency.put(direction, latency(direction, "end"));
      bodyBytesReceived.put(direction, Counter.builder("body.received").baseUnit("bytes")
          .description("Body bytes received from Envoy").tag("direction", direction.label()).register(registry));
      bodyBytesSent.put(direction, Counter.builder("body.sent").baseUnit("bytes")
          .description("Body bytes sent back to Envoy in replies").tag("direction", direction.label()).register(registry));
    }
    inboundPaused = Counter.builder("flow.inbound.paused")
        .description("Times the engine withheld its request for Envoy's next message (output at budget or gRPC not ready)")
        .register(registry);
    outboundNotReady = Counter.builder("flow.outbound.not.ready")
        .description("Times gRPC stopped accepting replies because the HTTP/2 window to Envoy was full")
        .register(registry);
    processorErrors = Counter.builder("processor.errors")
        .description("Exchanges failed by a processor (threw, failed its stage or broke an output rule)")
        .register(registry);
  }

  @Override
  public void onStart(ExchangeInfo exchange) {
    Counter.builder("exchanges.started").description("ext_proc streams started")
        .tag("request_mode", exchange.initialBodyMode(Direction.REQUEST).name())
        .tag("response_mode", exchange.initialBodyMode(Direction.RESPONSE).name())
        .register(registry).increment();
  }

  @Override
  public void onMessageReceived(ExchangeInfo exchange, Direction direction, MessagePart part, int bodyBytes) {
    Counter counter = received.get(direction).get(part);
    if (counter != null) {
      counter.increment();
    }
    if (bodyBytes > 0) {
      bodyBytesReceived.get(direction).increment(bodyBytes);
    }
  }

  @Override
  public void onMessageSent(ExchangeInfo exchange, Direction direction, MessagePart part, int bodyBytes) {
    sent.get(direction).get(part).increment();
    if (bodyBytes > 0) {
      bodyBytesSent.get(direction).increment(bodyBytes);
    }
  }

  @Override
  public void onProcessorEvent(ExchangeInfo exchange, Direction direction, MessagePart part, boolean end, long nanos) {
    Timer timer = end ? endLatency.get(direction) : latency.get(direction).get(part);
    if (timer != null) {
      timer.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void onInboundPaused(ExchangeInfo exchange) {
    inboundPaused.increment();
  }

  @Override
  public void onOutboundNotReady(ExchangeInfo exchange) {
    outboundNotReady.increment();
  }

  @Override
  public void onEnd(ExchangeSummary summary) {
    String outcome = outcomeLabel(summary.outcome());
    Counter.builder("exchanges.ended").description("ext_proc streams ended, by outcome")
        .tag("outcome", outcome)
        .tag("request_mode", summary.requestMode().name())
        .tag("response_mode", summary.responseMode().name())
        .register(registry).increment();
    Timer.builder("exchange.duration").description("ext_proc stream duration, from its first message to its end")
        .tag("outcome", outcome)
        .serviceLevelObjectives(DURATION_BUCKETS)
        .register(registry).record(summary.duration());
    if (summary.outcome() == ExchangeOutcome.PROCESSOR_ERROR) {
      processorErrors.increment();
    }
  }

  /** Returns the label value of {@code outcome}: its name in lower case. */
  static String outcomeLabel(ExchangeOutcome outcome) {
    return outcome.name().toLowerCase(java.util.Locale.ROOT);
  }

  private Counter messages(String name, String description, Direction direction, MessagePart part) {
    return Counter.builder(name).description(description)
        .tag("direction", direction.label()).tag("part", part.label()).register(registry);
  }

  private Timer latency(Direction direction, String event) {
    return Timer.builder("processor.latency")
        .description("Time from a processor event's call to the completion of its stage")
        .tag("direction", direction.label()).tag("event", event)
        .serviceLevelObjectives(LATENCY_BUCKETS)
        .register(registry);
  }

  private static Duration[] durations(double... seconds) {
    Duration[] result = new Duration[seconds.length];
    for (int i = 0; i < seconds.length; i++) {
      result[i] = Duration.ofNanos((long) (seconds[i] * 1e9));
    }
    return result;
  }
}
