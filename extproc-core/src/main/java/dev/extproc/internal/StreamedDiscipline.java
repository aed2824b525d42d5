package dev.extproc.internal;

import com.google.protobuf.ByteString;

/**
 * STREAMED: one reply per body message, in order; header mutations are refused in body events
 * (Envoy has forwarded the headers).
 *
 * <p><b>Look-ahead.</b> When the direction's processor {@linkplain
 * dev.extproc.DirectionProcessor#holdsBack() holds back}, a chunk without end_of_stream is kept
 * until the direction's next message arrives (the next chunk, an empty end-of-stream chunk, or the
 * trailers); only then is it handed to {@code onBody}, with {@code last} exact. For the last chunk
 * {@code onEnd} runs before its reply, so the held-back tail goes into it. Cost: one chunk of
 * memory and the latency until the next message; without holdsBack nothing is held.
 *
 * <p>The wait is bounded by {@link #MAX_LOOK_AHEAD}: Envoy times out a chunk left unanswered for
 * its {@code message_timeout} (200 ms by default), and in STREAMED it sends trailers only after
 * every body chunk was answered, so the last chunk before trailers never sees them. When the time
 * is up the chunk is handed over with {@code last} false and answered; output written after the
 * last chunk's reply then cannot be delivered if trailers end the body, and the exchange fails
 * with an error that says so (FULL_DUPLEX_STREAMED and BUFFERED deliver it).
 */
final class StreamedDiscipline extends BodyDiscipline {
  /** The longest a chunk waits for the direction's next message: half Envoy's default message timeout. */
  static final java.time.Duration MAX_LOOK_AHEAD = java.time.Duration.ofMillis(100);

  @Override
  DirectionFlow.MutationTarget bodyTarget() {
    return DirectionFlow.MutationTarget.NONE_STREAMING_BODY;
  }

  @Override
  void onBodyMessage(Exchange x, DirectionFlow d, ByteString chunk, boolean endOfStream) {
    if (!d.holdsBack) {
      handle(x, d, chunk, endOfStream);
      return;
    }
    ByteString held = d.takeLookAhead();
    if (held == null) {
      holdOrHandle(x, d, chunk, endOfStream);
      return;
    }
    boolean heldIsLast = endOfStream && chunk.isEmpty();
    x.events.body(d, held, heldIsLast, () -> {
      if (heldIsLast) {
        // The tail written in onEnd goes into the held chunk's reply; the empty end gets its own.
        x.events.end(d, false, () -> {
          if (x.replyBody(d, held, false) && x.replyBody(d, chunk, true)) {
            x.eventDone();
          }
        });
      } else if (x.replyBody(d, held, false)) {
        holdOrHandle(x, d, chunk, endOfStream);
      }
    });
  }

  @Override
  void beforeTrailers(Exchange x, DirectionFlow d, Runnable then) {
    ByteString held = d.takeLookAhead();
    if (held == null) {
      super.beforeTrailers(x, d, then);
      return;
    }
    x.events.body(d, held, true, () -> x.events.end(d, true, () -> {
      if (x.replyBody(d, held, false)) {
        then.run();
      }
    }));
  }

  /** Keeps a chunk that more may follow until the next message arrives; handles it now otherwise. */
  private static void holdOrHandle(Exchange x, DirectionFlow d, ByteString chunk, boolean endOfStream) {
    if (!endOfStream && !chunk.isEmpty()) {
      x.holdUntilNextMessage(d, chunk, MAX_LOOK_AHEAD); // its reply is owed once the next message is here
      x.eventDone();
    } else {
      handle(x, d, chunk, endOfStream);
    }
  }

  /** The look-ahead time is up: hand the held chunk over as not the last, and answer it. */
  static void release(Exchange x, DirectionFlow d) {
    ByteString held = d.takeLookAhead();
    if (held == null) {
      x.eventDone();
      return;
    }
    x.events.body(d, held, false, () -> {
      if (x.replyBody(d, held, false)) {
        x.eventDone();
      }
    });
  }

  private static void handle(Exchange x, DirectionFlow d, ByteString chunk, boolean endOfStream) {
    Runnable reply = () -> {
      if (x.replyBody(d, chunk, endOfStream)) {
        x.eventDone();
      }
    };
    body(x, d, chunk, endOfStream, endOfStream ? () -> x.events.end(d, false, reply) : reply);
  }
}
