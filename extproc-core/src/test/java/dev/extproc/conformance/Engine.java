package dev.extproc.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.ExtProcStats;
import dev.extproc.ProcessorFactory;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.FakeEnvoy;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The engine under test behind a FakeEnvoy: an {@link ExtProcService} on an in-process server with
 * the gRPC inbound limit from its configuration. {@link #close()} checks that nothing is left:
 * no active stream, no bytes held.
 */
final class Engine implements AutoCloseable {
  final ExtProcService service;
  final FakeEnvoy envoy;
  private final ScheduledExecutorService scheduler;

  private Engine(ProcessorFactory factory, ExtProcConfig config) {
    scheduler = Executors.newScheduledThreadPool(2);
    service = ExtProcService.builder(factory).config(config).scheduler(scheduler).build();
    envoy = FakeEnvoy.forService(service, config.maxInboundMessageBytes());
  }

  static Engine start(ProcessorFactory factory) {
    return new Engine(factory, ExtProcConfig.defaults());
  }

  static Engine start(ProcessorFactory factory, ExtProcConfig config) {
    return new Engine(factory, config);
  }

  ExchangeResult run(Exchange exchange) {
    return envoy.run(exchange);
  }

  ExtProcStats stats() {
    return service.stats();
  }

  ExtProcConfig config() {
    return service.config();
  }

  /** Waits until every stream has been closed and released its bytes. */
  void awaitIdle() {
    await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
        .untilAsserted(() -> {
      assertThat(stats().activeStreams()).as("active streams").isZero();
      assertThat(stats().bytesHeld()).as("bytes held").isZero();
    });
  }

  @Override
  public void close() {
    try {
      awaitIdle();
      envoy.close();
    } finally {
      scheduler.shutdownNow();
      try {
        scheduler.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
