package dev.extproc.internal;

import dev.extproc.BodyMode;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExchangeOutcome;
import io.grpc.Status;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How an exchange ends: whether it is still open, answering with an immediate response, or
 * closed; and closing it exactly once (release everything, count the outcome, end the call, call
 * the handler's onClose, report the summary). Used on the exchange's serial executor, except
 * {@link #isOpen()}, which any thread may read.
 */
final class ExchangeEnding {
  private static final Logger log = LoggerFactory.getLogger(Exchange.class); // one logger name for every per-stream line

  enum State { OPEN, IMMEDIATE, CLOSED }

  private final String id;
  private final ExchangeTelemetry telemetry;
  private final OutboundPump pump;
  private final Runnable release;
  private final Supplier<BodyMode[]> modes;
  private volatile State state = State.OPEN;
  private ExchangeOutcome immediateOutcome = ExchangeOutcome.IMMEDIATE_RESPONSE;
  private @Nullable ExchangeHandler handler;
  private @Nullable String failure;

  /**
   * @param release drops what the exchange holds (output, parked messages)
   * @param modes the request and response body modes in force, for the summary
   */
  ExchangeEnding(String id, ExchangeTelemetry telemetry, OutboundPump pump, Runnable release, Supplier<BodyMode[]> modes) {
    this.id = id;
    this.telemetry = telemetry;
    this.pump = pump;
    this.release = release;
    this.modes = modes;
  }

  State state() {
    return state;
  }

  boolean isOpen() {
    return state == State.OPEN;
  }

  /** The handler to close at the end (none until the first message made one). */
  void handler(ExchangeHandler made) {
    handler = made;
  }

  /** An immediate response was queued: the exchange ends with {@code outcome} once it is sent. */
  void answering(ExchangeOutcome outcome) {
    state = State.IMMEDIATE;
    immediateOutcome = outcome;
  }

  ExchangeOutcome immediateOutcome() {
    return immediateOutcome;
  }

  /** Records why the exchange failed (for the summary) without closing it yet. */
  void failure(String description) {
    failure = description;
  }

  @Nullable String failure() {
    return failure;
  }

  /** A processor broke an output rule: the exchange fails with INTERNAL naming the rule, logged. */
  void processorBrokeRule(String description) {
    if (state != State.OPEN) {
      return;
    }
    log.warn("stream {} failed: {}", id, description);
    fail(Status.INTERNAL.withDescription(description), ExchangeOutcome.PROCESSOR_ERROR);
  }

  void protocolError(InboundRules.Violation violation) {
    log.warn("stream {} protocol error from client: {}", id, violation.description());
    fail(violation.status(), ExchangeOutcome.PROTOCOL_ERROR);
  }

  /** The engine itself failed: a bug, logged with its stack trace. */
  void engineError(Throwable t) {
    log.error("stream {} engine error", id, t);
    fail(Status.INTERNAL.withDescription("ext_proc engine error: " + t).withCause(t), ExchangeOutcome.INTERNAL_ERROR);
  }

  void fail(Status status, ExchangeOutcome outcome) {
    if (state == State.CLOSED) {
      return;
    }
    failure = status.getDescription();
    close(outcome, status);
  }

  /**
   * Releases everything the stream holds and reports its outcome, exactly once; ends the call
   * with {@code status} when not null, after counting (whoever sees the status sees it counted).
   */
  void close(ExchangeOutcome outcome, @Nullable Status status) {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    pump.clear(id);
    release.run();
    telemetry.ended(outcome);
    if (status != null) {
      pump.fail(status, id);
    }
    if (handler != null) {
      try {
        handler.onClose(outcome);
      } catch (Throwable t) {
        log.warn("stream {} processor onClose threw {}", id, t.toString());
      }
    }
    BodyMode[] inForce = modes.get();
    telemetry.closed(outcome, inForce[0], inForce[1], outcome.isFailure() ? failure : null);
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof java.util.concurrent.CompletionException
            || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
