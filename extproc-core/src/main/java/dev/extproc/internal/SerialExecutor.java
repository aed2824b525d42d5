package dev.extproc.internal;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;

/**
 * Runs tasks one at a time, in submission order, on whichever thread submits while no other
 * thread is draining (like grpc's {@code SynchronizationContext}). A task submitted from inside a
 * running task is queued and runs after it, so tasks never nest. One per stream: it is what makes
 * per-stream state single-threaded although gRPC callbacks, processor stages and writes arrive on
 * any thread.
 *
 * <p>A task submitted while the executor is idle and its queue empty runs at once on the submitting
 * thread without being queued; the order is the same (nothing was waiting), only the queue node is
 * saved. A gRPC callback on an idle stream therefore runs the message's whole handling —
 * checks, processor event, reply handed to gRPC — on gRPC's thread, with no further hand-off.
 *
 * <p>While it runs tasks, the SLF4J MDC key {@value #MDC_KEY} holds the stream's exchange id (and
 * the thread's previous value is restored after), so every log line of an exchange, the engine's
 * and its processors', carries the id.
 */
final class SerialExecutor implements Executor {
  private final Queue<Runnable> queue = new ConcurrentLinkedQueue<>();
  private final AtomicReference<Thread> drainer = new AtomicReference<>();
  /** The MDC key that carries the exchange id while the exchange's tasks run. */
  static final String MDC_KEY = "exchange_id";

  private final Consumer<Throwable> onUncaught;
  private final String exchangeId;

  /**
   * @param exchangeId put in the MDC while tasks run
   * @param onUncaught called (inside the executor) with anything a task throws
   */
  SerialExecutor(String exchangeId, Consumer<Throwable> onUncaught) {
    this.exchangeId = exchangeId;
    this.onUncaught = onUncaught;
  }

  @Override
  public void execute(Runnable task) {
    if (queue.isEmpty() && drainer.compareAndSet(null, Thread.currentThread())) {
      // Idle and nothing queued: run the task at once, without a queue node (the common case of
      // one gRPC callback at a time). Inside a running task the compareAndSet fails: queued below.
      drainHeld(task);
      return;
    }
    queue.add(task);
    drain();
  }

  /** Returns whether the calling thread is running this executor's tasks right now. */
  boolean isCurrent() {
    return drainer.get() == Thread.currentThread();
  }

  private void drain() {
    if (drainer.compareAndSet(null, Thread.currentThread())) {
      drainHeld(null);
    } // else another thread drains; it will see our task
  }

  /** Runs {@code first} (when not null), then the queue; the caller holds {@link #drainer}. */
  private void drainHeld(@Nullable Runnable first) {
    Runnable next = first;
    while (true) {
      String previousId = MDC.get(MDC_KEY);
      MDC.put(MDC_KEY, exchangeId);
      try {
        if (next != null) {
          run(next);
          next = null;
        }
        Runnable task;
        while ((task = queue.poll()) != null) {
          run(task);
        }
      } finally {
        if (previousId == null) {
          MDC.remove(MDC_KEY);
        } else {
          MDC.put(MDC_KEY, previousId);
        }
        drainer.set(null);
      }
      // A task added between the last poll and the release would be stranded: look again.
      if (queue.isEmpty() || !drainer.compareAndSet(null, Thread.currentThread())) {
        return;
      }
    }
  }

  private void run(Runnable task) {
    try {
      task.run();
    } catch (Throwable t) {
      try {
        onUncaught.accept(t);
      } catch (Throwable ignored) {
        // the handler must not stop the executor
      }
    }
  }
}
