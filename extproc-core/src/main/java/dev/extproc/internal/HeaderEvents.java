package dev.extproc.internal;

import dev.extproc.BodyMode;
import dev.extproc.HttpHeaders;
import dev.extproc.MessagePart;

/**
 * What a headers or a trailers message does, in every body mode: the processor events it causes
 * and the reply it is owed. (What a body message does depends on the mode: {@link BodyDiscipline}.)
 * Runs on the exchange's serial executor.
 */
final class HeaderEvents {
  private HeaderEvents() {}

  /** onHeaders (then onEnd when the headers end the message), then the header reply. */
  static void onHeaders(Exchange x, DirectionFlow d, HttpHeaders headers, boolean endOfStream) {
    d.state = DirectionState.HEADERS;
    d.contentLengthPresent = headers.contains("content-length");
    d.target = DirectionFlow.MutationTarget.HEADERS;
    d.headersEndEvent = endOfStream;
    x.events.call(d, MessagePart.HEADERS, false, () -> d.processor.onHeaders(d.ctx, headers, endOfStream), () -> {
      if (endOfStream) {
        x.events.end(d, false, () -> finishHeaders(x, d, true));
      } else {
        finishHeaders(x, d, false);
      }
    });
  }

  private static void finishHeaders(Exchange x, DirectionFlow d, boolean endOfStream) {
    d.target = DirectionFlow.MutationTarget.NONE_OUTSIDE_EVENT;
    d.headersEndEvent = false;
    // Already sent when FULL_DUPLEX_STREAMED output had to wait in onHeaders (the commit).
    if (!d.headersCommitted && !x.replier().queueHeaders(x, d, endOfStream)) {
      return;
    }
    if (endOfStream) {
      d.state = DirectionState.ENDING;
      d.outputClosed = true;
    }
    x.eventDone();
  }

  /** The body's end (per the discipline), onTrailers, then the trailers reply. */
  static void onTrailers(Exchange x, DirectionFlow d, HttpHeaders trailers) {
    d.discipline.beforeTrailers(x, d, () -> {
      d.state = DirectionState.TRAILERS;
      d.target = DirectionFlow.MutationTarget.TRAILERS;
      x.events.call(d, MessagePart.TRAILERS, false, () -> d.processor.onTrailers(d.ctx, trailers),
          () -> finishTrailers(x, d));
    });
  }

  private static void finishTrailers(Exchange x, DirectionFlow d) {
    d.target = DirectionFlow.MutationTarget.NONE_OUTSIDE_EVENT;
    if (d.mode == BodyMode.FULL_DUPLEX_STREAMED) {
      if (!d.pending.isEmpty() && !d.bodyArrived) {
        x.processorBrokeRule(d, new IllegalStateException(d.label() + " output of " + d.pending.size()
            + " bytes cannot be delivered: FULL_DUPLEX_STREAMED body replies need at least one body message,"
            + " and Envoy sent trailers without one"));
        return;
      }
      d.state = DirectionState.ENDING;
      d.finalTrailers = x.replier().trailers(d); // sent by the pump after the pending output
      x.eventDone();
      return;
    }
    if (!d.pending.isEmpty()) {
      x.processorBrokeRule(d, new IllegalStateException(d.label() + " output of " + d.pending.size()
          + " bytes written after the last body reply (in onEnd or onTrailers) cannot be delivered: in "
          + d.mode + " the trailers reply carries no body, and Envoy sends trailers only after every body"
          + " chunk was answered (expected: write while handling body chunks, or use FULL_DUPLEX_STREAMED or"
          + " BUFFERED for this direction; returning true from DirectionProcessor.holdsBack() cannot help"
          + " when trailers end a STREAMED body)"));
      return;
    }
    d.outputClosed = true;
    d.state = DirectionState.ENDING;
    x.replier().queueTrailers(d);
    x.eventDone();
  }
}
