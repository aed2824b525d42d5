package dev.extproc.internal;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;

/**
 * The reply discipline of one body mode: the three decisions that differ by mode. A new body mode
 * is a new subclass, registered in {@link #of}.
 *
 * <ol>
 *   <li>What a body message does: which processor events it causes ({@link #onBodyMessage}) and
 *       what trailers do to a body in progress ({@link #beforeTrailers}).
 *   <li>Whether a write is accepted now ({@link #writesWaitForBudget}): one reply per Envoy
 *       message means output goes into the reply owed right now, so its stage completes at once;
 *       otherwise it waits for the stream's output budget.
 *   <li>Which reply goes next: the one-reply-per-message disciplines answer at the end of each
 *       message's events; {@link #emitNext} lets a discipline send replies of its own accord
 *       (FULL_DUPLEX_STREAMED's re-chunked output).
 * </ol>
 *
 * <p>Stateless: per-direction state lives in {@link DirectionFlow}. Called on the exchange's serial
 * executor only.
 */
abstract class BodyDiscipline {
  private static final BodyDiscipline NONE = new NoBodyDiscipline();
  private static final BodyDiscipline STREAMED = new StreamedDiscipline();
  private static final BodyDiscipline BUFFERED = new BufferedDiscipline(false);
  private static final BodyDiscipline BUFFERED_PARTIAL = new BufferedDiscipline(true);
  private static final BodyDiscipline FULL_DUPLEX_STREAMED = new FullDuplexDiscipline();

  static BodyDiscipline of(BodyMode mode) {
    switch (mode) {
      case STREAMED:
        return STREAMED;
      case BUFFERED:
        return BUFFERED;
      case BUFFERED_PARTIAL:
        return BUFFERED_PARTIAL;
      case FULL_DUPLEX_STREAMED:
        return FULL_DUPLEX_STREAMED;
      default:
        return NONE;
    }
  }

  /** Where header mutations made in a body event of this mode go. */
  abstract DirectionFlow.MutationTarget bodyTarget();

  /**
   * A legal body message of this mode is dispatched: run the processor events it causes, queue
   * the replies it is owed, then call {@link Exchange#eventDone()}.
   */
  abstract void onBodyMessage(Exchange x, DirectionFlow d, ByteString chunk, boolean endOfStream);

  /**
   * Trailers arrived: finish the body (the processor's {@code onEnd} unless already called or the
   * rest of the body passed through Envoy), then run {@code then}.
   */
  void beforeTrailers(Exchange x, DirectionFlow d, Runnable then) {
    if (!d.endCalled && d.state != DirectionState.PASSING_THROUGH && d.mode != BodyMode.NONE) {
      x.events.end(d, true, then);
    } else {
      then.run();
    }
  }

  /** Whether a write waits for the output budget (true) or completes at once into the reply owed now. */
  boolean writesWaitForBudget() {
    return false;
  }

  /** Whether a changed body must carry a corrected content-length (Envoy keeps it in BUFFERED and checks it). */
  boolean fixesContentLength() {
    return false;
  }

  /** Whether the reply to a body message without end_of_stream leaves the rest of the body to Envoy. */
  boolean passesRestThrough() {
    return false;
  }

  /** Sends the next reply this discipline owes of its own accord, if one is due; returns whether it sent one. */
  boolean emitNext(Exchange x, DirectionFlow d) {
    return false;
  }

  /** Runs onBody (skipped for an empty chunk), then {@code then}. */
  static void body(Exchange x, DirectionFlow d, ByteString chunk, boolean last, Runnable then) {
    if (chunk.isEmpty()) {
      then.run();
    } else {
      x.events.body(d, chunk, last, then);
    }
  }
}
