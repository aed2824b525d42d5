package dev.extproc.internal;

import com.google.protobuf.ByteString;

/**
 * FULL_DUPLEX_STREAMED: body messages are not answered one by one; output goes out as {@code
 * streamed_response} chunks of at most {@code maxChunkBytes} whenever the header reply is sent,
 * Envoy has sent a body message in the direction, and gRPC is ready. Writes wait for the stream's
 * output budget. The last reply carries end_of_stream, or is the trailers reply after the output.
 */
final class FullDuplexDiscipline extends BodyDiscipline {
  @Override
  DirectionFlow.MutationTarget bodyTarget() {
    return DirectionFlow.MutationTarget.NONE_STREAMING_BODY;
  }

  @Override
  void onBodyMessage(Exchange x, DirectionFlow d, ByteString chunk, boolean endOfStream) {
    Runnable done = () -> {
      if (endOfStream) {
        d.state = DirectionState.ENDING; // the pump sends the rest and the end
      }
      x.eventDone();
    };
    body(x, d, chunk, endOfStream, endOfStream ? () -> x.events.end(d, false, done) : done);
  }

  @Override
  boolean writesWaitForBudget() {
    return true;
  }

  @Override
  boolean emitNext(Exchange x, DirectionFlow d) {
    if (d.state == DirectionState.ANSWERED || !d.headerAnswered) {
      return false;
    }
    if (!d.pending.isEmpty()) {
      if (!d.bodyArrived) {
        return false; // Envoy rejects body replies before its first body message
      }
      ByteString chunk = d.pending.take(x.config().maxChunkBytes());
      boolean last = d.pending.isEmpty() && d.state == DirectionState.ENDING && d.finalTrailers == null;
      x.replier().sendStreamed(d, chunk, last);
      return true;
    }
    if (d.state != DirectionState.ENDING) {
      return false;
    }
    if (d.finalTrailers != null) {
      x.replier().sendTrailers(d);
    } else {
      x.replier().sendStreamed(d, ByteString.EMPTY, true);
    }
    return true;
  }
}
