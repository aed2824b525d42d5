package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * The outcome of one batch of concurrent uploads.
 *
 * @param results one per upload, by index
 * @param wallNanos from the first connect to the end of the last response
 */
public record UploadRun(List<UploadResult> results, long wallNanos) {

  private static final double MIB = 1024.0 * 1024.0;

  /** Copies. */
  public UploadRun {
    results = List.copyOf(requireNonNull(results, "results"));
  }

  /** Returns how many uploads were verified. */
  public int verified() {
    return (int) results.stream().filter(UploadResult::verified).count();
  }

  /** Returns how many uploads failed. */
  public int failed() {
    return results.size() - verified();
  }

  /** Returns the request body bytes sent by all uploads. */
  public long bytesSent() {
    return results.stream().mapToLong(UploadResult::bytesSent).sum();
  }

  /** Returns the response body bytes received by all uploads. */
  public long bytesReceived() {
    return results.stream().mapToLong(UploadResult::bytesReceived).sum();
  }

  /**
   * Returns the throughput as the benchmark defines it: request plus response body bytes of all uploads,
   * divided by the wall time of the batch, in MiB/s.
   */
  public double throughputMibPerSecond() {
    return wallNanos <= 0 ? 0 : (bytesSent() + bytesReceived()) / MIB / (wallNanos / 1e9);
  }

  /** Returns the request body bytes of all uploads per second of wall time, in MiB/s. */
  public double uploadMibPerSecond() {
    return wallNanos <= 0 ? 0 : bytesSent() / MIB / (wallNanos / 1e9);
  }

  /** Returns a latency histogram (microseconds) of the upload durations. */
  public Histogram durations() {
    Histogram h = new Histogram(3);
    results.forEach(r -> h.recordValue(Math.max(1, r.durationNanos() / 1000)));
    return h;
  }

  /** Returns a latency histogram (microseconds) of the times to the first response byte, of uploads that had one. */
  public Histogram firstBytes() {
    Histogram h = new Histogram(3);
    results.stream().filter(r -> r.firstByteNanos() >= 0).forEach(r -> h.recordValue(Math.max(1, r.firstByteNanos() / 1000)));
    return h;
  }

  /** Returns the given percentile of a microsecond histogram in milliseconds, or 0 when it is empty. */
  public static double percentileMillis(Histogram micros, double percentile) {
    return micros.getTotalCount() == 0 ? 0 : micros.getValueAtPercentile(percentile) / 1000.0;
  }
}
