package dev.extproc.echo;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * One streamed echo exchange, independent of the HTTP version: sends the response head (maybe
 * delayed), writes back each body chunk it is given (maybe throttled, maybe cut by a reset), then
 * ends the response with the request's trailers.
 *
 * <p>Threading: every method is called on the channel's event loop, and the timers it schedules
 * run there too, so no field needs to be volatile. The handler feeds it one chunk at a time,
 * only while {@link #canAcceptBody()}; so at most one received chunk is held here, which bounds
 * the memory of an exchange whatever the body size.
 *
 * @param <T> the protocol's trailer type
 */
final class EchoExchange<T> {

  /** What the protocol handler provides to an exchange. All calls happen on the event loop. */
  interface Transport<T> {
    /** Writes and flushes the response head. */
    void writeHead();

    /** Writes and flushes a non-empty body chunk; takes ownership of {@code data}. */
    void writeBody(ByteBuf data);

    /** Ends the response, with {@code trailers} (may be null: none). */
    void writeEnd(T trailers);

    /** Aborts the exchange (closes the connection or resets the stream). */
    void reset();

    /** Returns whether the outbound side can take more bytes now. */
    boolean isWritable();

    /** Returns the event loop of the channel, for timers. */
    EventExecutor executor();

    /** Called when a timer of the exchange fired: the handler resumes feeding the exchange. */
    void resume();
  }

  private enum State {
    NEW,
    HEAD_DELAYED,
    STREAMING,
    THROTTLED,
    ENDED,
    RESET,
    CANCELLED
  }

  private final Transport<T> transport;
  private final EffectPlan effects;

  private State state = State.NEW;
  /** A received chunk not yet entirely echoed (throttling, or waiting for writability); owned. */
  private ByteBuf held;
  private boolean endReceived;
  private T trailers;
  private long echoedBytes;
  /** The time the throttled body started at the configured rate; -1 before the first slice. */
  private long throttleStartNanos = -1;
  private Future<?> timer;

  EchoExchange(Transport<T> transport, EffectPlan effects) {
    this.transport = transport;
    this.effects = effects;
  }

  /** Starts the response: now, or after the configured header delay. */
  void start() {
    if (state != State.NEW) {
      throw new IllegalStateException("exchange: " + state + " (expected: NEW)");
    }
    if (effects.headerDelayNanos() > 0) {
      state = State.HEAD_DELAYED;
      timer = transport.executor().schedule(this::headDelayElapsed, effects.headerDelayNanos(), TimeUnit.NANOSECONDS);
    } else {
      sendHead();
    }
  }

  /** Returns whether the handler may pass the next body chunk or the end now. */
  boolean canAcceptBody() {
    return state == State.STREAMING && held == null && !endReceived && transport.isWritable();
  }

  /** Returns whether the exchange is over (ended, reset or cancelled): it takes nothing more. */
  boolean isDone() {
    return state == State.ENDED || state == State.RESET || state == State.CANCELLED;
  }

  /** Echoes {@code data}; takes ownership. Only when {@link #canAcceptBody()}. */
  void body(ByteBuf data) {
    if (!canAcceptBody()) {
      data.release();
      throw new IllegalStateException("exchange: cannot accept a body chunk in " + state);
    }
    if (!data.isReadable()) {
      data.release();
      return;
    }
    held = data;
    pump();
  }

  /** Ends the response once every accepted chunk is echoed, with {@code trailers} (may be null). */
  void end(T trailers) {
    if (!canAcceptBody()) {
      throw new IllegalStateException("exchange: cannot accept the end in " + state);
    }
    this.endReceived = true;
    this.trailers = trailers;
    pump();
  }

  /** Writes what the state and the channel allow; called again when the channel becomes writable. */
  void pump() {
    while (state == State.STREAMING) {
      if (held != null) {
        if (!transport.isWritable()) {
          return;
        }
        writeSlice();
      } else if (endReceived) {
        state = State.ENDED;
        transport.writeEnd(trailers);
        trailers = null;
        return;
      } else {
        return;
      }
    }
  }

  /** Drops whatever is held and stops the timers; the channel is gone. Idempotent. */
  void cancel() {
    if (!isDone()) {
      state = State.CANCELLED;
    }
    releaseHeld();
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private void headDelayElapsed() {
    timer = null;
    if (state == State.HEAD_DELAYED) {
      sendHead();
      transport.resume();
    }
  }

  private void sendHead() {
    transport.writeHead();
    state = State.STREAMING;
    if (effects.resetAfterBytes() == 0) {
      doReset();
    }
  }

  private void writeSlice() {
    long n = held.readableBytes();
    if (effects.throttleBytesPerSecond() > 0) {
      n = Math.min(n, effects.throttleSliceBytes());
    }
    if (effects.resetAfterBytes() >= 0) {
      n = Math.min(n, effects.resetAfterBytes() - echoedBytes);
    }
    if (n > 0) {
      ByteBuf slice;
      if (n == held.readableBytes()) {
        slice = held;
        held = null;
      } else {
        slice = held.readRetainedSlice((int) n);
      }
      echoedBytes += n;
      transport.writeBody(slice);
    }
    if (effects.resetAfterBytes() >= 0 && echoedBytes >= effects.resetAfterBytes()) {
      doReset();
      return;
    }
    if (effects.throttleBytesPerSecond() > 0 && state == State.STREAMING) {
      // Pace against the start of the body, not slice by slice, so that the time spent waiting
      // for the client's bytes counts towards the rate instead of slowing it down further.
      long now = transport.executor().ticker().nanoTime();
      if (throttleStartNanos < 0) {
        throttleStartNanos = now;
      }
      long dueNanos = throttleStartNanos + echoedBytes * 1_000_000_000L / effects.throttleBytesPerSecond();
      if (dueNanos > now) {
        state = State.THROTTLED;
        timer = transport.executor().schedule(this::throttleElapsed, dueNanos - now, TimeUnit.NANOSECONDS);
      }
    }
  }

  private void throttleElapsed() {
    timer = null;
    if (state == State.THROTTLED) {
      state = State.STREAMING;
      transport.resume();
    }
  }

  private void doReset() {
    if (state == State.RESET) {
      return;
    }
    state = State.RESET;
    releaseHeld();
    transport.reset();
  }

  private void releaseHeld() {
    if (held != null) {
      held.release();
      held = null;
    }
  }
}
