package dev.extproc.app.replicas;

import static org.awaitility.Awaitility.await;

import dev.extproc.stack.LocalStack;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reads and waits on a {@link LocalStack} with several ext_proc replicas: per-replica counters from
 * each server's admin, and each replica's state in Envoy's {@code ext_proc} cluster.
 */
final class ReplicaCluster {

  static final String CLUSTER = "ext_proc";

  private final LocalStack stack;

  ReplicaCluster(LocalStack stack) {
    this.stack = stack;
  }

  URI streamed() {
    return stack.extProcUri().resolve("/streamed");
  }

  URI fullDuplexStreamed() {
    return stack.extProcUri().resolve("/full-duplex-streamed");
  }

  int size() {
    return stack.replicas().size();
  }

  /** Side streams replica {@code i} has started since it (last) started. */
  long started(int i) {
    return stack.replica(i).admin().stat("streams_started");
  }

  /** Side streams open on replica {@code i} now. */
  long active(int i) {
    return stack.replica(i).admin().stat("active_streams");
  }

  /** {@link #started} of every replica; 0 for one that is not running (its next process counts from 0). */
  List<Long> startedAll() {
    List<Long> counts = new ArrayList<>();
    for (int i = 0; i < size(); i++) {
      counts.add(stack.replica(i).isAlive() ? started(i) : 0L);
    }
    return counts;
  }

  List<Long> activeAll() {
    List<Long> counts = new ArrayList<>();
    for (int i = 0; i < size(); i++) {
      counts.add(stack.replica(i).isAlive() ? active(i) : 0L);
    }
    return counts;
  }

  /** Envoy's {@code health_flags} of replica {@code i} ({@code healthy}, {@code /failed_active_hc}, ...). */
  String healthFlags(int i) {
    Map<String, String> host = stack.envoyAdmin().clusterHosts(CLUSTER).get(stack.replica(i).envoyHostName());
    return host == null ? "absent" : host.getOrDefault("health_flags", "absent");
  }

  boolean healthyInEnvoy(int i) {
    return healthFlags(i).equals("healthy");
  }

  /** Waits until Envoy counts every replica healthy (its first health checks have passed). */
  void awaitAllHealthyInEnvoy() {
    for (int i = 0; i < size(); i++) {
      int replica = i;
      await("Envoy health of replica " + i).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
          .until(() -> healthyInEnvoy(replica));
    }
  }

  /** Waits until Envoy no longer counts replica {@code i} healthy; returns how long that took. */
  Duration awaitNotHealthyInEnvoy(int i, Duration atMost) {
    long started = System.nanoTime();
    await("Envoy takes replica " + i + " out").atMost(atMost).pollInterval(Duration.ofMillis(20))
        .until(() -> !healthyInEnvoy(i));
    return Duration.ofNanos(System.nanoTime() - started);
  }

  /** Waits until Envoy counts replica {@code i} healthy again; returns how long that took. */
  Duration awaitHealthyInEnvoy(int i, Duration atMost) {
    long started = System.nanoTime();
    await("Envoy takes replica " + i + " back").atMost(atMost).pollInterval(Duration.ofMillis(20))
        .until(() -> healthyInEnvoy(i));
    return Duration.ofNanos(System.nanoTime() - started);
  }

  /** Runs {@code count} exchanges, {@code parallel} at a time, and returns them all. */
  List<Exchange> run(int count, int parallel, byte[] body) {
    ExecutorService pool = Executors.newFixedThreadPool(parallel);
    try {
      List<CompletableFuture<Exchange>> all = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        all.add(CompletableFuture.supplyAsync(() -> Exchange.post(streamed(), body), pool));
      }
      return all.stream().map(CompletableFuture::join).toList();
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * New exchanges, {@code parallel} at a time, one after the other, until {@link Background#stop()}:
   * the traffic that keeps arriving while a replica dies or drains.
   */
  Background background(int parallel, byte[] body) {
    return new Background(parallel, body);
  }

  final class Background {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<CompletableFuture<List<Exchange>>> workers = new ArrayList<>();
    private final ExecutorService threads;

    private Background(int parallel, byte[] body) {
      threads = Executors.newFixedThreadPool(parallel);
      for (int w = 0; w < parallel; w++) {
        workers.add(CompletableFuture.supplyAsync(() -> {
          List<Exchange> done = new ArrayList<>();
          while (running.get()) {
            done.add(Exchange.post(streamed(), body));
          }
          return done;
        }, threads));
      }
    }

    /** Stops starting exchanges, waits for those in flight, and returns every one. */
    List<Exchange> stop() {
      running.set(false);
      List<Exchange> all = new ArrayList<>();
      try {
        workers.forEach(w -> all.addAll(w.join()));
      } finally {
        threads.shutdownNow();
      }
      return all;
    }
  }
}
