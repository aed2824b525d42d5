package dev.extproc.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ExchangeInfo;
import dev.extproc.ExchangeObserver;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExchangeSummary;
import dev.extproc.MessagePart;
import dev.extproc.server.PrometheusText.Family;
import dev.extproc.server.PrometheusText.Sample;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;

/** The /metrics exposition, fed by a scripted observer event stream and parsed by a strict parser. */
class MetricsTest {

  @Test
  void exposition_parses_namesEveryFamilyExtproc_andValuesMoveWithTheEvents() {
    try (ServerMetrics metrics = new ServerMetrics()) {
      Map<String, Family> before = PrometheusText.parse(metrics.registry().scrape());
      ExchangeObserver observer = metrics.observer();
      ExchangeInfo exchange = new FakeInfo("ex-1", BodyMode.FULL_DUPLEX_STREAMED, BodyMode.STREAMED);

      observer.onStart(exchange);
      observer.onMessageReceived(exchange, Direction.REQUEST, MessagePart.HEADERS, 0);
      observer.onMessageReceived(exchange, Direction.REQUEST, MessagePart.BODY, 1000);
      observer.onMessageReceived(exchange, Direction.REQUEST, MessagePart.BODY, 24);
      observer.onProcessorEvent(exchange, Direction.REQUEST, MessagePart.BODY, false, 2_000_000);
      observer.onProcessorEvent(exchange, Direction.REQUEST, MessagePart.BODY, true, 3_000_000);
      observer.onMessageSent(exchange, Direction.REQUEST, MessagePart.BODY, 512);
      observer.onInboundPaused(exchange);
      observer.onOutboundNotReady(exchange);
      observer.onEnd(new ExchangeSummary("ex-1", ExchangeOutcome.PROCESSOR_ERROR, false, BodyMode.FULL_DUPLEX_STREAMED,
          BodyMode.STREAMED, 3, 1, 1024, 512, 0, 0, 4096, Duration.ofMillis(1500), "processor failed: onBody"));

      Map<String, Family> after = PrometheusText.parse(metrics.registry().scrape());

      assertThat(after.keySet()).allMatch(name -> name.startsWith("extproc_"), "every family is extproc_*");
      assertThat(after.values()).allMatch(f -> f.help() != null && !f.help().isBlank(), "every family has HELP");
      assertThat(type(after, "extproc_exchanges_started_total")).isEqualTo("counter");
      assertThat(type(after, "extproc_exchanges_ended_total")).isEqualTo("counter");
      assertThat(type(after, "extproc_messages_received_total")).isEqualTo("counter");
      assertThat(type(after, "extproc_body_received_bytes_total")).isEqualTo("counter");
      assertThat(type(after, "extproc_processor_latency_seconds")).isEqualTo("histogram");
      assertThat(type(after, "extproc_exchange_duration_seconds")).isEqualTo("histogram");
      assertThat(type(after, "extproc_jvm_memory_used_bytes")).isEqualTo("gauge");
      assertThat(type(after, "extproc_netty_allocator_memory_used_bytes")).isEqualTo("gauge");
      assertThat(after).containsKeys("extproc_jvm_gc_memory_allocated_bytes_total", "extproc_jvm_gc_live_data_size_bytes", "extproc_netty_direct_memory_used_bytes",
          "extproc_flow_inbound_paused_total", "extproc_flow_outbound_not_ready_total", "extproc_processor_errors_total",
          "extproc_jvm_threads_live_threads");

      assertThat(value(after, "extproc_exchanges_started_total",
          Map.of("request_mode", "FULL_DUPLEX_STREAMED", "response_mode", "STREAMED"))).isEqualTo(1);
      assertThat(value(after, "extproc_exchanges_ended_total", Map.of("outcome", "processor_error",
          "request_mode", "FULL_DUPLEX_STREAMED", "response_mode", "STREAMED"))).isEqualTo(1);
      assertThat(value(after, "extproc_messages_received_total", Map.of("direction", "request", "part", "body")))
          .isEqualTo(2);
      assertThat(value(before, "extproc_messages_received_total", Map.of("direction", "request", "part", "body")))
          .isZero();
      assertThat(value(after, "extproc_body_received_bytes_total", Map.of("direction", "request"))).isEqualTo(1024);
      assertThat(value(after, "extproc_body_sent_bytes_total", Map.of("direction", "request"))).isEqualTo(512);
      assertThat(value(after, "extproc_flow_inbound_paused_total", Map.of())).isEqualTo(1);
      assertThat(value(after, "extproc_flow_outbound_not_ready_total", Map.of())).isEqualTo(1);
      assertThat(value(after, "extproc_processor_errors_total", Map.of())).isEqualTo(1);
      assertThat(value(after, "extproc_processor_latency_seconds_count", Map.of("direction", "request", "event", "body")))
          .isEqualTo(1);
      assertThat(value(after, "extproc_processor_latency_seconds_bucket",
          Map.of("direction", "request", "event", "end", "le", "0.005"))).isEqualTo(1);
      assertThat(value(after, "extproc_processor_latency_seconds_bucket",
          Map.of("direction", "request", "event", "end", "le", "0.001"))).isZero();
      assertThat(value(after, "extproc_exchange_duration_seconds_sum", Map.of("outcome", "processor_error")))
          .isEqualTo(1.5);
    }
  }

  private static String type(Map<String, Family> families, String name) {
    assertThat(families).as("family " + name).containsKey(name);
    return families.get(name).type();
  }

  /** Returns the one sample named {@code name} whose labels include {@code labels}. */
  static double value(Map<String, Family> families, String name, Map<String, String> labels) {
    double found = Double.NaN;
    int matches = 0;
    for (Family family : families.values()) {
      for (Sample sample : family.samples()) {
        if (sample.name().equals(name) && sample.labels().entrySet().containsAll(labels.entrySet())) {
          found = sample.value();
          matches++;
        }
      }
    }
    assertThat(matches).as("samples " + name + labels).isEqualTo(1);
    return found;
  }

  record FakeInfo(String id, BodyMode request, BodyMode response) implements ExchangeInfo {
    @Override
    public Instant startTime() {
      return Instant.EPOCH;
    }

    @Override
    public BodyMode initialBodyMode(Direction direction) {
      return direction == Direction.REQUEST ? request : response;
    }

    @Override
    public Map<String, Struct> attributes() {
      return Map.of();
    }

    @Override
    public Metadata metadataContext() {
      return Metadata.getDefaultInstance();
    }

    @Override
    public ScheduledExecutorService scheduler() {
      throw new UnsupportedOperationException();
    }
  }
}
