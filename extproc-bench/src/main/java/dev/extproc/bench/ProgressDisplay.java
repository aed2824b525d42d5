package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A one-line progress display on a terminal: elapsed time and, per upload stream, the MiB sent and received.
 * Quiet (prints nothing) when {@link #enabled} is false, which {@link #forEnvironment} decides: off when
 * {@code CI=true} or when there is no terminal.
 */
public final class ProgressDisplay implements AutoCloseable {

  private final PrintStream out;
  private final boolean enabled;
  private final ScheduledExecutorService timer;
  private volatile String label = "";
  private volatile UploadDriver.Progress progress;
  private volatile long startNanos = System.nanoTime();

  ProgressDisplay(PrintStream out, boolean enabled) {
    this.out = requireNonNull(out, "out");
    this.enabled = enabled;
    if (enabled) {
      timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-progress");
        t.setDaemon(true);
        return t;
      });
      timer.scheduleAtFixedRate(this::print, 500, 500, TimeUnit.MILLISECONDS);
    } else {
      timer = null;
    }
  }

  /** Returns a display on stderr, enabled only on a terminal and when {@code CI} is not {@code true}. */
  public static ProgressDisplay forEnvironment(Map<String, String> env) {
    boolean ci = "true".equalsIgnoreCase(env.getOrDefault("CI", ""));
    return new ProgressDisplay(System.err, !ci && System.console() != null);
  }

  /** Returns a display that prints nothing. */
  public static ProgressDisplay quiet() {
    return new ProgressDisplay(System.err, false);
  }

  /** Returns whether it prints. */
  public boolean enabled() {
    return enabled;
  }

  /** Shows a new phase (such as {@code passthrough /streamed c=10}) and, when not null, the uploads' counters. */
  public void phase(String label, UploadDriver.Progress progress) {
    this.label = requireNonNull(label, "label");
    this.progress = progress;
    this.startNanos = System.nanoTime();
    if (enabled) {
      out.print("\r\033[K" + label);
      out.flush();
    }
  }

  /** Ends the current phase's line with a summary. */
  public void done(String summary) {
    this.progress = null;
    if (enabled) {
      out.print("\r\033[K" + label + ": " + summary + "\n");
      out.flush();
    }
  }

  static String line(String label, double elapsedSeconds, UploadDriver.Progress p) {
    StringBuilder sb = new StringBuilder();
    sb.append(label).append(String.format(" %5.1fs", elapsedSeconds));
    if (p != null) {
      double mib = 1024.0 * 1024.0;
      sb.append(String.format(" [%d x %.1f MiB]", p.streams(), p.bodyBytes() / mib));
      for (int i = 0; i < p.streams(); i++) {
        sb.append(String.format(" %d:%.0f/%.0f", i, p.sent(i) / mib, p.received(i) / mib));
      }
    }
    return sb.toString();
  }

  private void print() {
    String text = line(label, (System.nanoTime() - startNanos) / 1e9, progress);
    out.print("\r\033[K" + text);
    out.flush();
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
  }
}
