package dev.extproc.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * A process's CPU time (user + system) from Linux's {@code /proc/<pid>/stat}: a figure that survives
 * a shared machine better than wall-clock rates. Any thread.
 */
final class ProcessCpu {
  /** {@code /proc} counts in USER_HZ, 100 per second on Linux whatever the kernel's own tick rate. */
  private static final long MILLIS_PER_TICK = 10;

  private ProcessCpu() {}

  /** Returns the CPU milliseconds {@code pid} has used so far, or empty when it cannot be read (ended, not Linux). */
  static OptionalLong millis(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
      // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
      long utime = Long.parseLong(fields[11]); // field 14
      long stime = Long.parseLong(fields[12]); // field 15
      return OptionalLong.of((utime + stime) * MILLIS_PER_TICK);
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }
}
