package dev.extproc.stack;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A child process with its output in a log file, awaited by condition and always stopped: by
 * {@link #close()}, and otherwise by a JVM shutdown hook (so Ctrl-C or a failing test leaves
 * nothing behind).
 *
 * <p>Stopping sends SIGTERM, waits for the grace period, then sends SIGKILL; processes the child
 * started itself (its descendants at the time of stopping) are stopped the same way.
 */
public final class ManagedProcess implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ManagedProcess.class);

  /** Grace period of {@link #close()}. */
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);

  private static final long FIRST_POLL_MILLIS = 5;
  private static final long MAX_POLL_MILLIS = 100;

  private final String name;
  private final List<String> command;
  private final Path logFile;
  private final Process process;
  private final Thread shutdownHook;

  private ManagedProcess(String name, List<String> command, Path logFile, Process process) {
    this.name = name;
    this.command = command;
    this.logFile = logFile;
    this.process = process;
    this.shutdownHook = new Thread(this::stopFromShutdownHook, "stop-" + name);
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Starts {@code command} with stdout and stderr appended to {@code logFile}, stdin empty.
   *
   * @param name short name for messages and thread names, e.g. {@code envoy}
   * @param command the program and its arguments
   * @param logFile where the output goes (parent directories are created)
   * @param environment variables added to this JVM's environment
   */
  public static ManagedProcess start(
      String name, List<String> command, Path logFile, Map<String, String> environment) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(logFile, "logFile");
    Objects.requireNonNull(environment, "environment");
    if (command.isEmpty()) {
      throw new IllegalArgumentException("command: empty (expected: a program and its arguments)");
    }
    List<String> copy = List.copyOf(command);
    try {
      Path parent = logFile.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      ProcessBuilder builder = new ProcessBuilder(copy)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      builder.environment().putAll(environment);
      Process process = builder.start();
      log.debug("started {} (pid {}): {}", name, process.pid(), copy);
      return new ManagedProcess(name, copy, logFile, process);
    } catch (IOException e) {
      throw new ProcessFailedException("cannot start " + name + " " + copy + ": " + e.getMessage(), e);
    }
  }

  /** Starts {@code command} with the environment of this JVM. */
  public static ManagedProcess start(String name, List<String> command, Path logFile) {
    return start(name, command, logFile, Map.of());
  }

  /** The short name given at start. */
  public String name() {
    return name;
  }

  /** The process id. */
  public long pid() {
    return process.pid();
  }

  /** The command line. */
  public List<String> command() {
    return command;
  }

  /** The file holding the process's stdout and stderr. */
  public Path logFile() {
    return logFile;
  }

  /** Whether the process is still running. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Completes when the process has ended (by itself or stopped). */
  public java.util.concurrent.CompletableFuture<ManagedProcess> onExit() {
    return process.onExit().thenApply(ended -> this);
  }

  /** The exit code, once the process has ended. */
  public Optional<Integer> exitCode() {
    return process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
  }

  /**
   * Polls {@code probe} with a short backoff until it returns a value, the process dies or
   * {@code timeout} passes. Exceptions thrown by the probe count as "not yet".
   *
   * @param what what is awaited, for the error message (e.g. {@code "ready file /tmp/x"})
   * @return the probe's value
   * @throws ProcessFailedException if the process ends or the timeout passes first; the message
   *     includes the tail of the log
   */
  public <T> T awaitReady(String what, Supplier<Optional<T>> probe, Duration timeout) {
    Objects.requireNonNull(probe, "probe");
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = FIRST_POLL_MILLIS;
    Throwable lastError = null;
    while (true) {
      try {
        Optional<T> value = probe.get();
        if (value.isPresent()) {
          return value.get();
        }
      } catch (RuntimeException e) {
        lastError = e;
      }
      if (!process.isAlive()) {
        throw new ProcessFailedException(name + " (pid " + pid() + ") exited with code "
            + process.exitValue() + " while waiting for " + what + "; " + logTailMessage(), lastError);
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new ProcessFailedException(name + " (pid " + pid() + ") not ready after " + timeout
            + ": still waiting for " + what
            + (lastError == null ? "" : " (last probe error: " + lastError + ")") + "; "
            + logTailMessage(), lastError);
      }
      // Wait on the process's exit rather than sleeping: a crash ends the wait at once.
      try {
        process.onExit().get(Math.min(pause, TimeUnit.NANOSECONDS.toMillis(left) + 1), TimeUnit.MILLISECONDS);
      } catch (TimeoutException expected) {
        // not exited: poll again
      } catch (ExecutionException e) {
        throw new IllegalStateException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ProcessFailedException("interrupted while waiting for " + name + ": " + what, e);
      }
      pause = Math.min(pause * 2, MAX_POLL_MILLIS);
    }
  }

  /** Waits until {@code condition} holds; see {@link #awaitReady(String, Supplier, Duration)}. */
  public void awaitCondition(String what, java.util.function.BooleanSupplier condition, Duration timeout) {
    awaitReady(what, () -> condition.getAsBoolean() ? Optional.of(Boolean.TRUE) : Optional.empty(), timeout);
  }

  /**
   * Waits for the process to end by itself.
   *
   * @return the exit code
   * @throws ProcessFailedException if it is still running after {@code timeout}
   */
  public int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new ProcessFailedException(name + " (pid " + pid() + ") still running after " + timeout);
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProcessFailedException("interrupted while waiting for " + name + " to exit", e);
    }
  }

  /**
   * Stops the process: SIGTERM, then SIGKILL after {@code grace}; the same for the descendants it
   * had. Returns at once if it has already ended.
   *
   * @return the exit code (143 after SIGTERM, 137 after SIGKILL on Linux)
   */
  public int stop(Duration grace) {
    List<ProcessHandle> descendants = descendants();
    if (process.isAlive()) {
      process.destroy();
      waitQuietly(process.toHandle(), grace);
      if (process.isAlive()) {
        log.warn("{} (pid {}) did not stop within {} after SIGTERM: sending SIGKILL", name, pid(), grace);
        process.destroyForcibly();
      }
    }
    stopAll(descendants, grace);
    int code = waitForExit();
    removeShutdownHook();
    return code;
  }

  /** Kills the process at once (SIGKILL), with its descendants, and waits for it to end. */
  public int kill() {
    List<ProcessHandle> descendants = descendants();
    process.destroyForcibly();
    descendants.forEach(ProcessHandle::destroyForcibly);
    int code = waitForExit();
    descendants.forEach(handle -> waitQuietly(handle, Duration.ofSeconds(5)));
    removeShutdownHook();
    return code;
  }

  /** The last {@code lines} lines of the log (at most 64 KiB are read). */
  public String logTail(int lines) {
    return tail(logFile, lines);
  }

  /** Stops the process with {@link #DEFAULT_GRACE}. */
  @Override
  public void close() {
    stop(DEFAULT_GRACE);
  }

  @Override
  public String toString() {
    return name + "(pid " + pid() + (process.isAlive() ? ", running" : ", exited " + process.exitValue()) + ")";
  }

  private String logTailMessage() {
    return "last lines of " + logFile + ":\n" + logTail(40);
  }

  private List<ProcessHandle> descendants() {
    try {
      return process.descendants().toList();
    } catch (UnsupportedOperationException | SecurityException e) {
      return List.of();
    }
  }

  private static void stopAll(List<ProcessHandle> handles, Duration grace) {
    List<ProcessHandle> alive = new ArrayList<>();
    for (ProcessHandle handle : handles) {
      if (handle.isAlive()) {
        handle.destroy();
        alive.add(handle);
      }
    }
    for (ProcessHandle handle : alive) {
      waitQuietly(handle, grace);
      if (handle.isAlive()) {
        handle.destroyForcibly();
        waitQuietly(handle, Duration.ofSeconds(5));
      }
    }
  }

  private int waitForExit() {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return process.waitFor();
        } catch (InterruptedException e) {
          interrupted = true; // must not leave the child behind: keep waiting, re-interrupt after
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void waitQuietly(ProcessHandle handle, Duration timeout) {
    try {
      handle.onExit().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // still alive: the caller escalates
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void removeShutdownHook() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or about to run; it finds the process gone
    }
  }

  private void stopFromShutdownHook() {
    if (process.isAlive()) {
      List<ProcessHandle> descendants = descendants();
      process.destroy();
      waitQuietly(process.toHandle(), Duration.ofSeconds(5));
      process.destroyForcibly();
      stopAll(descendants, Duration.ofSeconds(2));
    }
  }

  static String tail(Path file, int lines) {
    if (!Files.exists(file)) {
      return "(no log file)";
    }
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long length = raf.length();
      int size = (int) Math.min(length, 64 * 1024);
      byte[] bytes = new byte[size];
      raf.seek(length - size);
      raf.readFully(bytes);
      String text = new String(bytes, StandardCharsets.UTF_8);
      String[] all = text.split("\n", -1);
      int end = all.length;
      if (end > 0 && all[end - 1].isEmpty()) {
        end--;
      }
      int start = Math.max(0, end - lines);
      return String.join("\n", java.util.Arrays.asList(all).subList(start, end));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
