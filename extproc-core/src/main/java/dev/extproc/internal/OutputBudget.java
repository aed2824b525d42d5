package dev.extproc.internal;

import dev.extproc.ExtProcConfig;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import org.jspecify.annotations.Nullable;

/**
 * The stream's one output budget B = {@code maxPendingOutputBytes}: every byte written and not yet
 * handed to gRPC counts against it, in every mode and from the first event on. Decides whether a
 * write's stage completes now, waits, or breaks a rule, and whether Envoy's next message may be
 * read. Used on the exchange's serial executor only.
 *
 * <ul>
 *   <li>FULL_DUPLEX_STREAMED: a write's stage completes while output held ≤ B; a processor that
 *       ignores its stages and holds more than 3 B of unsent output fails the exchange.
 *   <li>STREAMED, BUFFERED, BUFFERED_PARTIAL and CONTINUE_AND_REPLACE on body-less messages: Envoy
 *       wants exactly one reply per message, so output goes into the reply owed now and the stage
 *       completes at once (waiting would deadlock); that reply carries at most {@code
 *       maxBodyMessageBytes}. The documented exception to B.
 * </ul>
 */
final class OutputBudget {
  /** What a write just added to a direction's output means. */
  enum Verdict {
    /** The stage completes now. */
    NOW,
    /** The stage waits until output held is back within the budget. */
    WAIT,
    /** As WAIT, and the header reply must go out now (FULL_DUPLEX_STREAMED output in onHeaders). */
    WAIT_COMMITTING_HEADERS,
    /** The one reply owed would exceed maxBodyMessageBytes. */
    OVER_ONE_REPLY,
    /** The processor ignores its stages: more than 3 B unsent. */
    OVER_HARD_LIMIT
  }

  private final ExtProcConfig config;
  private final OutboundPump pump;
  private final DirectionFlow request;
  private final DirectionFlow response;

  OutputBudget(ExtProcConfig config, OutboundPump pump, DirectionFlow request, DirectionFlow response) {
    this.config = config;
    this.pump = pump;
    this.request = request;
    this.response = response;
  }

  /** Judges the output of {@code d} after a write was added to it. */
  Verdict admit(DirectionFlow d) {
    if (!d.discipline.writesWaitForBudget() || d.headersEndEvent) {
      return d.pending.size() > config.maxBodyMessageBytes() ? Verdict.OVER_ONE_REPLY : Verdict.NOW;
    }
    if (d.pendingOutput() > hardLimit()) {
      return Verdict.OVER_HARD_LIMIT;
    }
    if (hasRoom()) {
      return Verdict.NOW;
    }
    // Nothing flushes before the header reply is out and Envoy sent a body message: commit the
    // headers now (and the exchange reads one message ahead), or the writer waits forever.
    return d.target == DirectionFlow.MutationTarget.HEADERS && !d.headerAnswered && !d.headersCommitted
        ? Verdict.WAIT_COMMITTING_HEADERS : Verdict.WAIT;
  }

  String overHardLimit(DirectionFlow d, String exchangeId) {
    return d.label() + " holds " + d.pendingOutput() + " bytes of " + d.mode + " output not yet sent on stream "
        + exchangeId + ", over 3 × maxPendingOutputBytes " + hardLimit()
        + " (rule: wait for each write's stage before writing more)";
  }

  private long hardLimit() {
    return 3L * config.maxPendingOutputBytes();
  }

  /** Output written and not yet handed to gRPC: what the budget bounds. */
  long held() {
    return pump.queuedBytes() + request.pendingOutput() + response.pendingOutput();
  }

  /** Whether waiting write stages may complete. */
  boolean hasRoom() {
    return held() <= config.maxPendingOutputBytes();
  }

  /** Whether Envoy's next message may be read: the output gRPC could take now is under the budget. */
  boolean mayRead() {
    return pump.queuedBytes() + request.deliverable() + response.deliverable() < config.maxPendingOutputBytes();
  }

  /** Every body byte the stream holds: output, the chunks being handled or looked ahead at, a parked message. */
  long bytesHeld(@Nullable ProcessingRequest parked) {
    return held() + request.inboundHeld() + response.inboundHeld()
        + (parked == null ? 0 : Messages.body(parked).size());
  }
}
