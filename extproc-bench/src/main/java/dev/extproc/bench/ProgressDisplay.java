package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A one-line progress display on a terminal: elapsed time and, per upload stream, the MiB sent and
 * received, redrawn every 500 ms while a phase runs. Between phases ({@link #done}) nothing is
 * redrawn, so what the command prints next starts on a line of its own. Log lines written meanwhile
 * start with {@link Terminal#CLEAR_LINE} (the app's log encoder does it on a terminal) and so replace
 * the progress line instead of being glued to it; the next redraw goes below them.
 *
 * <p>Quiet (prints nothing) when {@link #enabled} is false, which {@link #forEnvironment} decides:
 * off when {@code CI=true} or when there is no terminal. Thread-safe.
 */
public final class ProgressDisplay implements AutoCloseable {

  /** Whether a phase is running (its line is redrawn) or the display is idle. */
  private enum State { IDLE, RUNNING }

  private final PrintStream out;
  private final boolean enabled;
  private final ScheduledExecutorService timer;
  private State state = State.IDLE;
  private String label = "";
  private UploadDriver.Progress progress;
  private long startNanos = System.nanoTime();

  ProgressDisplay(PrintStream out, boolean enabled) {
    this(out, enabled, enabled);
  }

  /** With {@code ticking} false nothing redraws by itself (tests call {@link #tick()}). */
  ProgressDisplay(PrintStream out, boolean enabled, boolean ticking) {
    this.out = requireNonNull(out, "out");
    this.enabled = enabled;
    if (ticking) {
      timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-progress");
        t.setDaemon(true);
        return t;
      });
      timer.scheduleAtFixedRate(this::tick, 500, 500, TimeUnit.MILLISECONDS);
    } else {
      timer = null;
    }
  }

  /** Returns a display on stderr, enabled only on an interactive terminal and when {@code CI} is not {@code true}. */
  public static ProgressDisplay forEnvironment(Map<String, String> env) {
    return new ProgressDisplay(System.err, Terminal.interactive(env));
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
  public synchronized void phase(String label, UploadDriver.Progress progress) {
    this.label = requireNonNull(label, "label");
    this.progress = progress;
    this.startNanos = System.nanoTime();
    this.state = State.RUNNING;
    if (enabled) {
      out.print(Terminal.CLEAR_LINE + label);
      out.flush();
    }
  }

  /**
   * Ends the current phase's line with a summary and stops redrawing it.
   *
   * @return whether the summary was printed (false when the display is quiet: the caller logs it)
   */
  public synchronized boolean done(String summary) {
    this.progress = null;
    this.state = State.IDLE;
    if (enabled) {
      out.print(Terminal.CLEAR_LINE + label + ": " + summary + "\n");
      out.flush();
    }
    return enabled;
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

  /** Redraws the running phase's line; nothing while idle. Called by the timer every 500 ms. */
  synchronized void tick() {
    if (!enabled || state != State.RUNNING) {
      return;
    }
    out.print(Terminal.CLEAR_LINE + line(label, (System.nanoTime() - startNanos) / 1e9, progress));
    out.flush();
  }

  /** Stops redrawing; a phase still shown is cleared so the next output starts on a clean line. */
  @Override
  public synchronized void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
    if (enabled && state == State.RUNNING) {
      out.print(Terminal.CLEAR_LINE);
      out.flush();
    }
    state = State.IDLE;
  }
}
