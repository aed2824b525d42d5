package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Samples a set of {@link MeterSource}s at a fixed period, each on its own thread (so that a slow admin
 * endpoint does not delay the {@code /proc} readings), and keeps every sample.
 *
 * <p>Usage: {@code try (MemoryMeter meter = MemoryMeter.start(sources, period)) { ...run...; recording = meter.stop(); }}.
 * {@link #stop()} takes one last reading of every source, so that the peaks include the state at the end.
 */
public final class MemoryMeter implements AutoCloseable {

  private final List<MeterSource> sources;
  private final LongSupplier nanoTime;
  private final long startNanos;
  private final ScheduledExecutorService executor;
  private final ConcurrentLinkedQueue<MemoryRecording.Sample> samples = new ConcurrentLinkedQueue<>();
  private final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
  private final Map<String, String> lastError = new ConcurrentHashMap<>();
  private final AtomicLong readings = new AtomicLong();
  private volatile MemoryRecording recording;

  private MemoryMeter(List<MeterSource> sources, Duration period, LongSupplier nanoTime) {
    this.sources = List.copyOf(sources);
    this.nanoTime = nanoTime;
    this.startNanos = nanoTime.getAsLong();
    AtomicInteger threads = new AtomicInteger();
    ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(Math.max(1, this.sources.size()), r -> {
      Thread t = new Thread(r, "bench-meter-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    pool.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    pool.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    this.executor = pool;
    long periodNanos = period.toNanos();
    for (MeterSource source : this.sources) {
      pool.scheduleAtFixedRate(() -> sample(source), 0, periodNanos, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Starts sampling now.
   *
   * @param period the sampling period (100 ms or less for the benchmark)
   */
  public static MemoryMeter start(List<MeterSource> sources, Duration period) {
    return start(sources, period, System::nanoTime);
  }

  static MemoryMeter start(List<MeterSource> sources, Duration period, LongSupplier nanoTime) {
    requireNonNull(sources, "sources");
    requireNonNull(period, "period");
    requireNonNull(nanoTime, "nanoTime");
    if (period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("period: " + period + " (expected: > 0)");
    }
    return new MemoryMeter(sources, period, nanoTime);
  }

  /** Returns the milliseconds since the meter started, on the clock its samples use. */
  public long elapsedMillis() {
    return TimeUnit.NANOSECONDS.toMillis(nanoTime.getAsLong() - startNanos);
  }

  /** Returns the number of successful readings so far. */
  public long readings() {
    return readings.get();
  }

  private void sample(MeterSource source) {
    long at = elapsedMillis();
    try {
      Map<Metric, Long> values = source.read();
      values.forEach((metric, value) -> samples.add(new MemoryRecording.Sample(at, metric, value)));
      readings.incrementAndGet();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      // A sampler must never die silently: count the failure, keep the message for the report, go on.
      errors.computeIfAbsent(source.name(), k -> new AtomicInteger()).incrementAndGet();
      lastError.put(source.name(), String.valueOf(e.getMessage()));
    }
  }

  /**
   * Stops sampling, takes one last reading of every source (on the calling thread) and returns the recording.
   * Idempotent: later calls return the same recording.
   */
  public synchronized MemoryRecording stop() {
    if (recording != null) {
      return recording;
    }
    executor.shutdownNow();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        throw new IllegalStateException("meter threads did not stop within 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (MeterSource source : sources) {
      sample(source);
    }
    List<String> problems = new ArrayList<>();
    errors.forEach((name, count) -> problems.add(name + ": " + count + " failed readings, last: " + lastError.get(name)));
    problems.sort(null);
    recording = new MemoryRecording(new ArrayList<>(samples), problems);
    return recording;
  }

  @Override
  public void close() {
    stop();
  }
}
