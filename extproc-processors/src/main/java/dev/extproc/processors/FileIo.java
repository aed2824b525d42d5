package dev.extproc.processors;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs blocking file operations off gRPC threads. Processors hold at most one outstanding
 * operation per exchange and direction (the engine waits for each event's stage), so the queue is
 * bounded by the number of open streams, not by body sizes.
 */
public final class FileIo {
  private FileIo() {}

  /**
   * Returns a new executor of {@code threads} daemon threads named {@code name-N}, for file I/O.
   * The caller owns it and shuts it down after the server stopped.
   */
  public static ExecutorService newExecutor(String name, int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads: " + threads + " (expected: >= 1)");
    }
    AtomicInteger count = new AtomicInteger();
    return new ThreadPoolExecutor(
        threads,
        threads,
        30,
        TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(),
        runnable -> {
          Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
  }

  /** A blocking operation that may throw {@link IOException}. */
  @FunctionalInterface
  interface IoCall<T> {
    T call() throws IOException;
  }

  /** A blocking operation without result that may throw {@link IOException}. */
  @FunctionalInterface
  interface IoRun {
    void run() throws IOException;
  }

  /** Runs {@code call} on {@code executor}; the stage fails with the IOException unwrapped as cause. */
  static <T> CompletableFuture<T> supply(Executor executor, IoCall<T> call) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return call.call();
          } catch (IOException e) {
            throw new CompletionException(e);
          }
        },
        executor);
  }

  /** Returns the cause a stage failed with, without CompletionException wrappers. */
  static Throwable unwrap(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof java.util.concurrent.ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
