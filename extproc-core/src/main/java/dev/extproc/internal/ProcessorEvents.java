package dev.extproc.internal;

import com.google.protobuf.ByteString;
import dev.extproc.MessagePart;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Calls the processor's event methods, one at a time: runs {@code then} on the exchange's serial
 * executor once an event's stage completed successfully; a throw, a null stage or a failed stage
 * goes to the exchange's failure handling. Reports each event's duration to the telemetry.
 */
final class ProcessorEvents {
  /** Where a processor failure goes. */
  interface Failure {
    void failed(DirectionFlow d, String method, Throwable error);
  }

  private final SerialExecutor exec;
  private final ExchangeTelemetry telemetry;
  private final ExchangeEnding ending;
  private final Failure failure;
  /** An event runs: from its call until the exchange finished answering it ({@link #finished}). */
  private boolean running;
  /** The processor has not completed the current event's stage yet (it may still read the chunk). */
  private boolean stageOutstanding;
  /** Runs when a stage settles after the exchange ended (lent inbound buffers may be released then). */
  private Runnable settledAfterEnd = () -> {};

  ProcessorEvents(SerialExecutor exec, ExchangeTelemetry telemetry, ExchangeEnding ending, Failure failure) {
    this.exec = exec;
    this.telemetry = telemetry;
    this.ending = ending;
    this.failure = failure;
  }

  boolean running() {
    return running;
  }

  boolean stageOutstanding() {
    return stageOutstanding;
  }

  void onSettledAfterEnd(Runnable task) {
    settledAfterEnd = task;
  }

  /** The event's replies are queued: no event runs any more. */
  void finished() {
    running = false;
  }

  /** Hands {@code chunk} to onBody, then runs {@code then}. */
  void body(DirectionFlow d, ByteString chunk, boolean last, Runnable then) {
    d.currentChunk = chunk;
    d.target = d.discipline.bodyTarget();
    call(d, MessagePart.BODY, false, () -> d.processor.onBody(d.ctx, chunk, last), then);
  }

  /** Calls onEnd, then runs {@code then}. */
  void end(DirectionFlow d, boolean beforeTrailers, Runnable then) {
    d.endCalled = true;
    if (beforeTrailers) {
      d.target = DirectionFlow.MutationTarget.NONE_END_BEFORE_TRAILERS;
    }
    call(d, MessagePart.BODY, true, () -> d.processor.onEnd(d.ctx), then);
  }

  /** Calls a processor method and runs {@code then} once its stage completed successfully. */
  void call(DirectionFlow d, MessagePart part, boolean end, Supplier<CompletionStage<Void>> event, Runnable then) {
    running = true;
    stageOutstanding = true;
    long started = System.nanoTime();
    CompletionStage<Void> stage;
    try {
      stage = event.get();
      if (stage == null) {
        throw new NullPointerException(Answers.method(part, end) + " returned null (expected: a stage, e.g. Processing.done())");
      }
      stage.whenComplete((ignored, error) -> exec.execute(() -> {
        stageOutstanding = false;
        telemetry.processorEvent(d.direction, part, end, started);
        if (!ending.isOpen()) {
          settledAfterEnd.run();
          return;
        }
        if (error != null) {
          failure.failed(d, Answers.method(part, end), error);
        } else {
          then.run();
        }
      }));
    } catch (Throwable t) {
      // The processor threw, returned null, or returned a stage that threw when observed.
      stageOutstanding = false;
      telemetry.processorEvent(d.direction, part, end, started);
      failure.failed(d, Answers.method(part, end), t);
    }
  }
}
