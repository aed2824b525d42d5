package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The samples a {@link MemoryMeter} took, in time order, and the problems it met.
 *
 * @param samples every reading, ordered by time
 * @param problems one line per source that failed at least once
 */
public record MemoryRecording(List<Sample> samples, List<String> problems) {

  /**
   * One reading of one metric.
   *
   * @param elapsedMillis milliseconds since the meter started
   */
  public record Sample(long elapsedMillis, Metric metric, long value) {
    /** Validates the sample. */
    public Sample {
      requireNonNull(metric, "metric");
    }
  }

  /** Copies and orders the samples. */
  public MemoryRecording {
    samples = samples.stream().sorted(Comparator.comparingLong(Sample::elapsedMillis)).toList();
    problems = List.copyOf(problems);
  }

  /** Returns the highest value of a metric, or empty when it was never read. */
  public OptionalLong peak(Metric metric) {
    return samples.stream().filter(s -> s.metric() == metric).mapToLong(Sample::value).max();
  }

  /** Returns the last value of a metric, or empty when it was never read. */
  public OptionalLong last(Metric metric) {
    OptionalLong last = OptionalLong.empty();
    for (Sample s : samples) {
      if (s.metric() == metric) {
        last = OptionalLong.of(s.value());
      }
    }
    return last;
  }

  /** Returns the number of samples of a metric. */
  public long count(Metric metric) {
    return samples.stream().filter(s -> s.metric() == metric).count();
  }

  /** Returns the peak of every metric that was read. */
  public Map<Metric, Long> peaks() {
    Map<Metric, Long> peaks = new EnumMap<>(Metric.class);
    for (Sample s : samples) {
      peaks.merge(s.metric(), s.value(), Math::max);
    }
    return peaks;
  }

  /** Returns the samples of one metric, in time order. */
  public List<Sample> series(Metric metric) {
    return samples.stream().filter(s -> s.metric() == metric).toList();
  }
}
