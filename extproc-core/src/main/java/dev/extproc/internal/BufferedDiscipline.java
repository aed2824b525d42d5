package dev.extproc.internal;

import com.google.protobuf.ByteString;

/**
 * BUFFERED and BUFFERED_PARTIAL: one body message, answered with one reply; Envoy still holds the
 * headers, so body events may mutate them. In BUFFERED the message is the whole body ({@code
 * onBody} with {@code last} true, then {@code onEnd}). In BUFFERED_PARTIAL a message without
 * end_of_stream is the part of the body that fit Envoy's buffer; the rest passes through Envoy
 * unprocessed, so {@code onEnd} is not called.
 */
final class BufferedDiscipline extends BodyDiscipline {
  private final boolean partial;

  BufferedDiscipline(boolean partial) {
    this.partial = partial;
  }

  @Override
  DirectionFlow.MutationTarget bodyTarget() {
    return DirectionFlow.MutationTarget.BODY_HEADERS;
  }

  @Override
  void onBodyMessage(Exchange x, DirectionFlow d, ByteString chunk, boolean endOfStream) {
    Runnable reply = () -> {
      if (x.replyBody(d, chunk, endOfStream)) {
        x.eventDone();
      }
    };
    boolean wholeBody = !partial || endOfStream;
    body(x, d, chunk, wholeBody, wholeBody ? () -> x.events.end(d, false, reply) : reply);
  }

  @Override
  boolean fixesContentLength() {
    return !partial;
  }

  @Override
  boolean passesRestThrough() {
    return partial;
  }
}
