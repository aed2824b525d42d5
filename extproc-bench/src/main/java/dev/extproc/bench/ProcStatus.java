package dev.extproc.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The memory figures of one process as Linux reports them in {@code /proc/<pid>/status}.
 *
 * @param rssBytes the resident set size now ({@code VmRSS})
 * @param peakRssBytes the highest resident set size since the process started ({@code VmHWM})
 */
public record ProcStatus(long rssBytes, long peakRssBytes) {

  /** Validates the figures. */
  public ProcStatus {
    if (rssBytes < 0) {
      throw new IllegalArgumentException("rssBytes: " + rssBytes + " (expected: >= 0)");
    }
    if (peakRssBytes < 0) {
      throw new IllegalArgumentException("peakRssBytes: " + peakRssBytes + " (expected: >= 0)");
    }
  }

  /**
   * Reads {@code /proc/<pid>/status}.
   *
   * @return the figures, or empty when the process does not exist (any more)
   * @throws IOException when the file exists but cannot be read or lacks VmRSS/VmHWM
   */
  public static Optional<ProcStatus> read(long pid) throws IOException {
    return read(Path.of("/proc", Long.toString(pid), "status"));
  }

  static Optional<ProcStatus> read(Path statusFile) throws IOException {
    String text;
    try {
      text = Files.readString(statusFile, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    return Optional.of(parse(text, statusFile.toString()));
  }

  static ProcStatus parse(String text, String source) throws IOException {
    long rss = -1;
    long hwm = -1;
    for (String line : text.split("\n")) {
      if (line.startsWith("VmRSS:")) {
        rss = kibibytes(line, source);
      } else if (line.startsWith("VmHWM:")) {
        hwm = kibibytes(line, source);
      }
    }
    if (rss < 0 || hwm < 0) {
      // A zombie has no Vm* lines: treat it like a process that is gone.
      throw new IOException(source + ": no VmRSS/VmHWM lines (the process may have exited)");
    }
    return new ProcStatus(rss, Math.max(hwm, rss));
  }

  private static long kibibytes(String line, String source) throws IOException {
    // "VmRSS:\t   12345 kB"
    String[] parts = line.substring(line.indexOf(':') + 1).trim().split("\\s+");
    if (parts.length != 2 || !parts[1].equals("kB")) {
      throw new IOException(source + ": unexpected line '" + line + "' (expected: 'VmXXX: <n> kB')");
    }
    try {
      return Long.parseLong(parts[0]) * 1024L;
    } catch (NumberFormatException e) {
      throw new IOException(source + ": unexpected line '" + line + "' (expected: 'VmXXX: <n> kB')", e);
    }
  }
}
