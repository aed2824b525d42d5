package dev.extproc.internal;

import dev.extproc.Direction;
import dev.extproc.ExchangeOutcome;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import org.jspecify.annotations.Nullable;

/**
 * The exchange's flow control, both ways, and its natural end: send what may be sent while gRPC
 * is ready, release waiting write stages when the budget has room, read Envoy's next message when
 * nothing holds it back (or read one ahead when output waits for Envoy's first body message), and
 * end the call when nothing more can happen on it. Runs on the exchange's serial executor.
 */
final class FlowControl {
  private final Exchange x;
  private final OutboundPump pump;
  private final OutputBudget budget;
  private final ExchangeEnding ending;
  private final ExchangeTelemetry telemetry;

  FlowControl(Exchange x, OutboundPump pump, OutputBudget budget, ExchangeEnding ending, ExchangeTelemetry telemetry) {
    this.x = x;
    this.pump = pump;
    this.budget = budget;
    this.ending = ending;
    this.telemetry = telemetry;
  }

  /** Sends what may be sent while gRPC is ready, releases write stages, then finishes or reads on. */
  void run() {
    if (ending.state() == ExchangeEnding.State.CLOSED) {
      return;
    }
    DirectionFlow request = x.request;
    DirectionFlow response = x.response;
    while (pump.isReady()) {
      if (pump.sendQueued()) {
        continue;
      }
      if (ending.isOpen()
          && (request.discipline.emitNext(x, request) || response.discipline.emitNext(x, response))) {
        continue;
      }
      break;
    }
    x.updateHeld();
    if (budget.hasRoom()) {
      pump.releaseWaiters();
    }
    if (!maybeFinish()) {
      maybeRequestNext();
    }
  }

  private void maybeRequestNext() {
    if (!ending.isOpen() || pump.requested() || x.halfClosed || x.parked != null) {
      return;
    }
    if (x.events.running()) {
      // Read ahead only when output waits for Envoy's first body message: reading is the way out.
      if (pump.hasWaiters() && (x.request.awaitsFirstBody() || x.response.awaitsFirstBody())) {
        pump.request();
      }
      return;
    }
    if (!pump.isReady() || !budget.mayRead()) {
      telemetry.inboundPaused(); // the on-ready handler and the pump come back here
      return;
    }
    telemetry.inboundResumed();
    pump.request();
  }

  /** Ends the call when nothing more can happen on it; returns whether it did. */
  boolean maybeFinish() {
    if (ending.state() == ExchangeEnding.State.IMMEDIATE && pump.queueEmpty()) {
      pump.complete();
      ending.close(ending.immediateOutcome(), null);
      return true;
    }
    if (ending.isOpen() && x.halfClosed && !x.events.running() && x.parked == null && pump.queueEmpty()
        && !x.request.duplexWorkLeft() && !x.response.duplexWorkLeft()) {
      pump.complete();
      boolean answered = answeredSoFar(x.request) && answeredSoFar(x.response);
      ending.close(answered ? ExchangeOutcome.COMPLETED : ExchangeOutcome.CANCELLED, null);
      return true;
    }
    return false;
  }

  /**
   * Whether a cancel now leaves nothing owed: every direction that started, or that the
   * processing mode says will come (a header mode other than SKIP), was answered to its end.
   */
  boolean answeredAsExpected(@Nullable ProcessingMode mode) {
    return mode != null && !x.events.running() && x.parked == null
        && (x.request.state == DirectionState.IDLE ? !expected(x.request, mode) : x.request.state.answered())
        && (x.response.state == DirectionState.IDLE ? !expected(x.response, mode) : x.response.state.answered());
  }

  private static boolean answeredSoFar(DirectionFlow d) {
    return d.state == DirectionState.IDLE || d.state.answered();
  }

  private static boolean expected(DirectionFlow d, ProcessingMode mode) {
    HeaderSendMode headerMode = d.direction == Direction.REQUEST ? mode.getRequestHeaderMode() : mode.getResponseHeaderMode();
    return headerMode != HeaderSendMode.SKIP;
  }
}
