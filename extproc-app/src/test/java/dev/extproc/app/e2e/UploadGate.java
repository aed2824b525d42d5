package dev.extproc.app.e2e;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Holds a client's upload at a given body offset until the test decides: {@link #resume()} the
 * upload or {@link #abort()} (close the connection). Lets a test act at a known point mid-upload
 * (kill the ext_proc server, abort) without sleeping. One gate serves one exchange.
 */
final class UploadGate {

  private final long pauseAt;
  private final CompletableFuture<Long> reached = new CompletableFuture<>();
  private volatile boolean open;
  private volatile Runnable resumeAction;
  private volatile Runnable abortAction;

  /** A gate that stops the upload once {@code pauseAt} body bytes were written (and flushed). */
  UploadGate(long pauseAt) {
    if (pauseAt < 0) {
      throw new IllegalArgumentException("pauseAt: " + pauseAt + " (expected: >= 0)");
    }
    this.pauseAt = pauseAt;
  }

  long pauseAt() {
    return pauseAt;
  }

  boolean isOpen() {
    return open;
  }

  /** Waits (bounded) until the client wrote {@link #pauseAt()} bytes and stopped. */
  void awaitReached() {
    try {
      reached.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("the upload did not reach " + pauseAt + " B within 30 s", e);
    }
  }

  /** Lets the upload continue to its end. */
  void resume() {
    open = true;
    Runnable action = resumeAction;
    if (action != null) {
      action.run();
    }
  }

  /** Closes the client's connection where the upload stands. */
  void abort() {
    open = true;
    Runnable action = abortAction;
    if (action == null) {
      throw new IllegalStateException("abort before the client attached to the gate");
    }
    action.run();
  }

  /** Called by a client once its connection is up (actions run on the connection's event loop). */
  void attach(Runnable resume, Runnable abort) {
    this.resumeAction = resume;
    this.abortAction = abort;
  }

  /** Called by a client when it stopped at the gate, once the bytes before it were written. */
  void markReached(long bytesSent) {
    reached.complete(bytesSent);
  }
}
