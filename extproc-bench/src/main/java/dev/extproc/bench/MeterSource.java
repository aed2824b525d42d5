package dev.extproc.bench;

import java.io.IOException;
import java.util.Map;

/**
 * Something the {@link MemoryMeter} reads periodically: a process's {@code /proc} status or an admin endpoint.
 *
 * <p>{@link #read()} is called from one meter thread at a time, never concurrently with itself.
 */
public interface MeterSource {

  /** Returns a short name for error messages, such as {@code envoy /proc/1234/status}. */
  String name();

  /**
   * Takes one reading.
   *
   * @return the values read now; empty when the source is gone (a process that exited)
   * @throws IOException when the source could not be read this time (the meter counts it and goes on)
   */
  Map<Metric, Long> read() throws IOException, InterruptedException;
}
