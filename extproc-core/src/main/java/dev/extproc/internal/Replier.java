package dev.extproc.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ImmediateResponse;
import dev.extproc.MessagePart;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import org.jspecify.annotations.Nullable;

/**
 * Builds the replies a direction owes (with {@link Answers}), attaches what goes on the next reply
 * (dynamic metadata, a mode override), updates the direction's state, and hands them to the {@link
 * OutboundPump}: queued for the one-reply-per-message replies, sent at once for FULL_DUPLEX_STREAMED
 * output (the pump calls those when gRPC is ready). Used on the exchange's serial executor only.
 */
final class Replier {
  private final OutboundPump pump;
  private @Nullable ProcessingMode pendingOverride;
  private @Nullable Struct pendingMetadata;

  Replier(OutboundPump pump) {
    this.pump = pump;
  }

  void override(ProcessingMode override) {
    pendingOverride = override;
  }

  void addMetadata(Struct metadata) {
    pendingMetadata = MetadataValues.merge(pendingMetadata, metadata);
  }

  /**
   * Queues the header reply with the mutations made so far (and, when the headers end the message,
   * the output as CONTINUE_AND_REPLACE); returns false when the exchange failed instead.
   */
  boolean queueHeaders(Exchange x, DirectionFlow d, boolean endOfStream) {
    ByteString body = endOfStream && !d.pending.isEmpty() ? d.pending.takeAll() : null;
    if (body != null && !x.writes().checkReplySize(d, body.size())) {
      return false;
    }
    ProcessingMode override = pendingOverride;
    pendingOverride = null;
    ProcessingResponse message;
    if (body == null && override == null && pendingMetadata == null && !d.hasMutation()) {
      d.takeMutation();
      message = Replies.unchangedHeaders(d.direction);
    } else {
      ProcessingResponse.Builder reply = Answers.headers(d, body);
      if (override != null) {
        reply.setModeOverride(override);
      }
      attachMetadata(reply);
      message = reply.build();
    }
    pump.enqueue(message, d.direction, MessagePart.HEADERS, body == null ? 0 : body.size(), () -> {
      d.headerAnswered = true;
      if (endOfStream || (d.mode == BodyMode.NONE && d.state == DirectionState.HEADERS)) {
        d.state = DirectionState.ANSWERED; // in NONE the body passes through Envoy: nothing more is owed
      }
      x.schedulePump();
    });
    if (override != null) {
      x.applyOverride(override);
    }
    x.schedulePump();
    return true;
  }

  /** Queues the one reply owed to a body message carrying {@code chunk}. */
  void queueBody(DirectionFlow d, ByteString chunk, boolean endOfStream) {
    d.target = DirectionFlow.MutationTarget.NONE_OUTSIDE_EVENT;
    ProcessingResponse message;
    int bodyBytes;
    if (pendingMetadata == null && Answers.bodyUnchanged(d, chunk)) {
      d.pending.clear(); // passed through unchanged: no mutation, no copy back
      d.takeMutation();
      message = Replies.unchangedBody(d.direction);
      bodyBytes = 0;
    } else {
      Answers.Body answer = Answers.body(d, chunk);
      attachMetadata(answer.reply());
      message = answer.reply().build();
      bodyBytes = answer.bodyBytes();
    }
    if (endOfStream) {
      d.state = DirectionState.ENDING;
      d.outputClosed = true;
    } else if (d.discipline.passesRestThrough()) {
      d.state = DirectionState.PASSING_THROUGH; // the rest of the body passes through Envoy unprocessed
    }
    pump.enqueue(message, d.direction, MessagePart.BODY, bodyBytes, () -> {
      if (endOfStream && d.state == DirectionState.ENDING) {
        d.state = DirectionState.ANSWERED;
      }
    });
    if (d.currentChunk == chunk) {
      d.currentChunk = null;
    }
  }

  /** The trailers reply, with the trailer mutations made. */
  ProcessingResponse trailers(DirectionFlow d) {
    ProcessingResponse.Builder reply = Answers.trailers(d);
    attachMetadata(reply);
    return reply.build();
  }

  void queueTrailers(DirectionFlow d) {
    pump.enqueue(trailers(d), d.direction, MessagePart.TRAILERS, 0, () -> d.state = DirectionState.ANSWERED);
  }

  /** Sends a FULL_DUPLEX_STREAMED body chunk now; {@code last} ends the direction. */
  void sendStreamed(DirectionFlow d, ByteString chunk, boolean last) {
    if (last) {
      d.state = DirectionState.ANSWERED;
      d.outputClosed = true;
    }
    ProcessingResponse.Builder reply = Replies.streamed(d.direction, chunk, last);
    attachMetadata(reply);
    pump.send(reply.build(), d.direction, MessagePart.BODY, chunk.size());
  }

  /** Sends FULL_DUPLEX_STREAMED's trailers reply, after the output. */
  void sendTrailers(DirectionFlow d) {
    ProcessingResponse trailers = d.finalTrailers;
    d.finalTrailers = null;
    d.state = DirectionState.ANSWERED;
    d.outputClosed = true;
    pump.send(trailers, d.direction, MessagePart.TRAILERS, 0);
  }

  /** Queues an immediate response, triggered while handling {@code direction}. */
  void queueImmediate(ImmediateResponse immediate, Direction direction) {
    ProcessingResponse.Builder reply = Replies.immediate(immediate);
    attachMetadata(reply);
    pump.enqueue(reply.build(), direction, MessagePart.IMMEDIATE_RESPONSE, immediate.body().size(), () -> {});
  }

  private void attachMetadata(ProcessingResponse.Builder reply) {
    if (pendingMetadata != null) {
      reply.setDynamicMetadata(pendingMetadata);
      pendingMetadata = null;
    }
  }
}
