package dev.extproc.client;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Holds a client's upload at a given body offset until the caller decides: {@link #resume()} the
 * upload or {@link #abort()} it (close the connection, or reset the HTTP/2 stream). Lets a test act
 * at a known point mid-upload (kill a server, abort, look at what was echoed so far) without
 * sleeping. One gate serves one exchange.
 */
public class UploadGate {

  private final long pauseAt;
  private final CompletableFuture<Long> reached = new CompletableFuture<>();
  private volatile boolean open;
  private volatile Runnable resumeAction;
  private volatile Runnable abortAction;

  /** A gate that stops the upload once {@code pauseAt} body bytes were written (and flushed). */
  public UploadGate(long pauseAt) {
    if (pauseAt < 0) {
      throw new IllegalArgumentException("pauseAt: " + pauseAt + " (expected: >= 0)");
    }
    this.pauseAt = pauseAt;
  }

  public long pauseAt() {
    return pauseAt;
  }

  public boolean isOpen() {
    return open;
  }

  /** Waits (up to 30 s) until the client wrote {@link #pauseAt()} bytes and stopped. */
  public void awaitReached() {
    awaitReached(Duration.ofSeconds(30));
  }

  /** Waits (up to {@code timeout}) until the client wrote {@link #pauseAt()} bytes and stopped. */
  public void awaitReached(Duration timeout) {
    try {
      reached.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for the upload to reach " + pauseAt + " B", e);
    } catch (Exception e) {
      throw new AssertionError("the upload did not reach " + pauseAt + " B within " + timeout.toMillis() + " ms", e);
    }
  }

  /** Lets the upload continue to its end. Any thread. */
  public void resume() {
    open = true;
    Runnable action = resumeAction;
    if (action != null) {
      action.run();
    }
  }

  /** Ends the exchange where the upload stands: closes the HTTP/1.1 connection or resets the HTTP/2 stream. */
  public void abort() {
    open = true;
    Runnable action = abortAction;
    if (action == null) {
      throw new IllegalStateException("abort before the client attached to the gate");
    }
    action.run();
  }

  /** Called by the client once the exchange is under way (the actions hop to its event loop). */
  void attach(Runnable resume, Runnable abort) {
    this.resumeAction = resume;
    this.abortAction = abort;
  }

  /** Called by the client when it stopped at the gate, once the bytes before it were written. */
  void markReached(long bytesSent) {
    reached.complete(bytesSent);
  }
}
