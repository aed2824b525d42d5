package dev.extproc.testkit;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a call's listener callbacks one at a time and in order, the way gRPC's serializing executor
 * does: the thread that enqueues a callback while none is running drains the queue; a callback
 * enqueued from inside a callback (for example a {@code request(1)} made while handling a message)
 * runs after the current one returns, never re-entrantly.
 */
final class CallbackQueue {
  private final Queue<Runnable> callbacks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean draining = new AtomicBoolean();

  void run(Runnable callback) {
    callbacks.add(callback);
    drain();
  }

  private void drain() {
    while (!callbacks.isEmpty() && draining.compareAndSet(false, true)) {
      try {
        for (Runnable next; (next = callbacks.poll()) != null; ) {
          next.run();
        }
      } finally {
        draining.set(false);
      }
    }
  }
}
