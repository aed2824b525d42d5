package dev.extproc.internal;

import com.google.protobuf.ByteString;
import dev.extproc.ExtProcConfig;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A processor's writes, once on the exchange's serial executor, and the one-reply size rule. A
 * write is refused (its stage fails) after the exchange ended or once its direction's output
 * closed; otherwise it joins the direction's output, and the {@link OutputBudget}'s verdict decides
 * its stage: complete now, wait in the {@link OutboundPump} until the budget has room (committing
 * the header reply first when FULL_DUPLEX_STREAMED output is written in {@code onHeaders}), or fail
 * the exchange naming the rule it broke. Used on the exchange's serial executor only.
 */
final class OutputWrites {
  /** The exchange's logger: a refused write is logged as the exchange's, as before this class existed. */
  private static final Logger log = LoggerFactory.getLogger(Exchange.class);

  private final Exchange x;
  private final ExtProcConfig config;
  private final ExchangeEnding ending;
  private final OutputBudget budget;
  private final OutboundPump pump;
  private final Replier replier;

  OutputWrites(Exchange x, ExtProcConfig config, ExchangeEnding ending, OutputBudget budget, OutboundPump pump,
      Replier replier) {
    this.x = x;
    this.config = config;
    this.ending = ending;
    this.budget = budget;
    this.pump = pump;
    this.replier = replier;
  }

  /** A write of {@code data} to {@code d}: counts it against the budget and completes {@code done} when there is room. */
  void write(DirectionFlow d, ByteString data, CompletableFuture<Void> done) {
    if (!ending.isOpen()) {
      done.completeExceptionally(new CancellationException("exchange " + x.id() + " ended"));
      return;
    }
    if (!d.writable()) {
      IllegalStateException error = new IllegalStateException(d.label() + " output is closed on stream " + x.id()
          + " (rule: nothing may be written after a direction's end was answered)");
      log.warn("stream {} {}", x.id(), error.getMessage());
      done.completeExceptionally(error);
      return;
    }
    d.pending.add(data);
    OutputBudget.Verdict verdict = budget.admit(d);
    switch (verdict) {
      case OVER_ONE_REPLY:
        checkReplySize(d, d.pending.size());
        done.completeExceptionally(new IllegalStateException(ending.failure()));
        return;
      case OVER_HARD_LIMIT:
        ending.processorBrokeRule(budget.overHardLimit(d, x.id()));
        done.completeExceptionally(new IllegalStateException(ending.failure()));
        return;
      case NOW:
        x.updateHeld();
        if (d.discipline.writesWaitForBudget()) {
          x.schedulePump(); // FULL_DUPLEX_STREAMED output goes out as soon as it may
        }
        done.complete(null);
        return;
      default:
        x.updateHeld();
        x.schedulePump();
        pump.await(done);
        if (verdict == OutputBudget.Verdict.WAIT_COMMITTING_HEADERS) {
          d.headersCommitted = true;
          replier.queueHeaders(x, d, false); // and maybeRequestNext reads one message ahead
        }
    }
  }

  /**
   * Checks that one reply to a {@code d} message may carry {@code size} body bytes; when not, fails
   * the exchange naming the rule and returns false.
   */
  boolean checkReplySize(DirectionFlow d, long size) {
    if (size > config.maxBodyMessageBytes()) {
      ending.processorBrokeRule(d.label() + " reply body: " + size + " bytes for one "
          + d.mode + " message (expected: <= maxBodyMessageBytes " + config.maxBodyMessageBytes()
          + "; only FULL_DUPLEX_STREAMED can emit more than one message's worth)");
      return false;
    }
    return true;
  }
}
