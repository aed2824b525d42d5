package dev.extproc.internal;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.DirectionProcessor;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import org.jspecify.annotations.Nullable;

/**
 * The state of one direction of an exchange. Fields are touched only on the exchange's serial
 * executor, except the volatile ones, which processor threads read for early argument checks.
 */
final class DirectionFlow {
  /** Where header mutations made right now go, or why they are refused. */
  enum MutationTarget {
    HEADERS,
    BODY_HEADERS,
    TRAILERS,
    NONE_OUTSIDE_EVENT,
    NONE_STREAMING_BODY,
    NONE_END_BEFORE_TRAILERS
  }

  final Direction direction;
  final DirectionContextImpl ctx;
  final OutputBuffer pending = new OutputBuffer();
  DirectionProcessor processor;
  /** The processor holds bytes back: in STREAMED each chunk is handed over once the next message arrived. */
  boolean holdsBack;
  /** The processor borrows chunks: it is handed zero-copy (aliased) chunks; else heap copies (see InboundLedger). */
  boolean borrowsChunks;
  volatile BodyMode mode = BodyMode.NONE;
  volatile BodyDiscipline discipline = BodyDiscipline.of(BodyMode.NONE);
  DirectionState state = DirectionState.IDLE;
  /** What Envoy has sent in this direction, tracked on arrival (a message may be parked before it is handled). */
  InboundRules.Arrived arrived = InboundRules.Arrived.NOTHING;
  /** Envoy has sent at least one body message in this direction (counted on arrival). */
  boolean bodyArrived;
  volatile MutationTarget target = MutationTarget.NONE_OUTSIDE_EVENT;
  /** onHeaders(endOfStream=true) or its onEnd runs: output becomes the header reply's CONTINUE_AND_REPLACE body. */
  volatile boolean headersEndEvent;
  /** FULL_DUPLEX_STREAMED: the header reply went out early because onHeaders' output exceeded the budget. */
  volatile boolean headersCommitted;
  volatile boolean outputClosed;
  /** The chunk being handled right now (passing it through is not counted twice, and may exceed the write limit). */
  volatile @Nullable ByteString currentChunk;
  /** STREAMED with holdsBack: the chunk received but not yet handed to the processor. */
  @Nullable ByteString lookAhead;
  /** The timer that hands {@link #lookAhead} over if no next message comes in time. */
  java.util.concurrent.@Nullable ScheduledFuture<?> lookAheadTimer;
  /** The look-ahead timer fired while an event ran: hand the chunk over when it is done. */
  boolean lookAheadExpired;
  /** The header reply was handed to gRPC, or there is none (header mode SKIP). */
  boolean headerAnswered;
  boolean endCalled;
  boolean contentLengthPresent;
  /** FULL_DUPLEX_STREAMED: the trailers reply, sent by the pump after the remaining output. */
  @Nullable ProcessingResponse finalTrailers;
  private Replies.@Nullable MutationBuilder mutation;

  DirectionFlow(Direction direction, Exchange exchange) {
    this.direction = direction;
    this.ctx = new DirectionContextImpl(exchange, this);
  }

  String label() {
    return direction.label();
  }

  void setMode(BodyMode newMode) {
    mode = newMode;
    discipline = BodyDiscipline.of(newMode);
  }

  /** Applies a mode override unless this direction's body already began or ended. */
  void applyMode(BodyMode newMode) {
    if (!bodyArrived && !arrived.ended()) {
      setMode(newMode);
    }
  }

  Replies.MutationBuilder mutation() {
    if (mutation == null) {
      mutation = new Replies.MutationBuilder();
    }
    return mutation;
  }

  /** Whether header mutations wait for the next reply. */
  boolean hasMutation() {
    return mutation != null && !mutation.isEmpty();
  }

  Replies.@Nullable MutationBuilder takeMutation() {
    Replies.MutationBuilder taken = mutation;
    mutation = null;
    return taken;
  }

  /** Output held that is not the chunk being handled written back (held once, as inbound). */
  long pendingOutput() {
    ByteString chunk = currentChunk;
    return chunk != null && pending.isExactly(chunk) ? 0 : pending.size();
  }

  /** Inbound bytes this direction holds: the chunk being handled and the look-ahead chunk. */
  long inboundHeld() {
    ByteString chunk = currentChunk;
    return (chunk != null ? chunk.size() : 0) + (lookAhead != null ? lookAhead.size() : 0);
  }

  /** FULL_DUPLEX_STREAMED output can go out: the header reply is sent and Envoy has sent a body message. */
  boolean duplexFlushable() {
    return mode == BodyMode.FULL_DUPLEX_STREAMED && headerAnswered && bodyArrived
        && state != DirectionState.ANSWERED;
  }

  /** FULL_DUPLEX_STREAMED output waits only for Envoy's first body message, so reading on is the way out. */
  boolean awaitsFirstBody() {
    return mode == BodyMode.FULL_DUPLEX_STREAMED && !pending.isEmpty() && !bodyArrived
        && (headerAnswered || headersCommitted);
  }

  long deliverable() {
    return duplexFlushable() ? pending.size() : 0;
  }

  /** FULL_DUPLEX_STREAMED replies the pump still owes. */
  boolean duplexWorkLeft() {
    return mode == BodyMode.FULL_DUPLEX_STREAMED && headerAnswered && state != DirectionState.ANSWERED
        && (state == DirectionState.ENDING || (bodyArrived && !pending.isEmpty()));
  }

  void dropOutput() {
    pending.clear();
    mutation = null;
    finalTrailers = null;
    outputClosed = true;
    currentChunk = null;
    takeLookAhead();
  }

  /** Removes and returns the look-ahead chunk (null when none), cancelling its timer. */
  @Nullable ByteString takeLookAhead() {
    ByteString held = lookAhead;
    lookAhead = null;
    lookAheadExpired = false;
    if (lookAheadTimer != null) {
      lookAheadTimer.cancel(false);
      lookAheadTimer = null;
    }
    return held;
  }

  /** Whether output may be written now (checked again on the executor). */
  boolean writable() {
    return !outputClosed && (mode != BodyMode.NONE || headersEndEvent);
  }
}
