package dev.extproc.internal;

import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ExchangeInfo;
import dev.extproc.ExchangeObserver;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExchangeSummary;
import dev.extproc.MessagePart;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one exchange reports: its counters, the service-wide {@link StatsImpl}, the {@link
 * ExchangeObserver} (every call guarded: what an observer throws is logged and ignored), the bytes
 * held, and the {@link ExchangeSummary} at the end. Used on the exchange's serial executor only.
 */
final class ExchangeTelemetry {
  private static final Logger log = LoggerFactory.getLogger(Exchange.class);

  private final StatsImpl stats;
  private final ExchangeObserver observer;
  /** False for {@link ExchangeObserver#NONE}: per-message observer calls are skipped altogether. */
  private final boolean observing;
  private final ExchangeInfo exchange;
  private final long startNanos = System.nanoTime();
  private boolean started;
  private boolean inboundPaused;
  private boolean outboundNotReady;
  private long messagesIn;
  private long messagesOut;
  private final long[] bytesIn = new long[2];
  private final long[] bytesOut = new long[2];
  private long heldReported;
  private long peakHeld;
  private boolean envoyCancelled;
  private boolean cancelledAfterLastReply;

  ExchangeTelemetry(StatsImpl stats, ExchangeObserver observer, ExchangeInfo exchange) {
    this.stats = stats;
    this.observer = observer;
    this.observing = observer != ExchangeObserver.NONE;
    this.exchange = exchange;
  }

  /** The stream opened (before its first message). */
  void opened() {
    stats.streamsStarted.increment();
    stats.activeStreams.incrementAndGet();
  }

  /** The first message arrived and the handler was made. */
  void started() {
    started = true;
    guard("onStart", () -> observer.onStart(exchange));
  }

  void received(@Nullable Direction direction, @Nullable MessagePart part, int bodyBytes) {
    messagesIn++;
    stats.messagesReceived.increment();
    if (direction != null && part != null) {
      bytesIn[direction.ordinal()] += bodyBytes;
      if (started && observing) {
        guard("onMessageReceived", () -> observer.onMessageReceived(exchange, direction, part, bodyBytes));
      }
    }
  }

  void sent(Direction direction, MessagePart part, int bodyBytes) {
    messagesOut++;
    stats.messagesSent.increment();
    bytesOut[direction.ordinal()] += bodyBytes;
    if (!observing) {
      return;
    }
    guard("onMessageSent", () -> observer.onMessageSent(exchange, direction, part, bodyBytes));
  }

  void processorEvent(Direction direction, MessagePart part, boolean end, long startedNanos) {
    if (!observing) {
      return;
    }
    long nanos = System.nanoTime() - startedNanos;
    guard("onProcessorEvent", () -> observer.onProcessorEvent(exchange, direction, part, end, nanos));
  }

  /** Inbound flow control withheld a request; reported once per pause. */
  void inboundPaused() {
    if (!inboundPaused) {
      inboundPaused = true;
      guard("onInboundPaused", () -> observer.onInboundPaused(exchange));
    }
  }

  void inboundResumed() {
    inboundPaused = false;
  }

  /** gRPC is not ready for more replies; reported once per pause. */
  void outboundNotReady() {
    if (!outboundNotReady) {
      outboundNotReady = true;
      guard("onOutboundNotReady", () -> observer.onOutboundNotReady(exchange));
    }
  }

  void outboundReady() {
    outboundNotReady = false;
  }

  void immediateResponse() {
    stats.immediateResponses.increment();
  }

  /** Envoy cancelled the stream; {@code afterLastReply} when every owed reply had been sent. */
  void envoyCancelled(boolean afterLastReply) {
    envoyCancelled = true;
    cancelledAfterLastReply = afterLastReply;
  }

  /** Records the stream's body bytes held right now. */
  void held(long held) {
    if (held != heldReported) {
      stats.bytesHeld.addAndGet(held - heldReported);
      heldReported = held;
    }
    if (held > peakHeld) {
      peakHeld = held;
      stats.recordPeak(held);
    }
  }

  long peakHeld() {
    return peakHeld;
  }

  /** Counts the outcome; the stream still counts as active until {@link #closed}. */
  void ended(ExchangeOutcome outcome) {
    held(0);
    switch (outcome) {
      case COMPLETED:
      case IMMEDIATE_RESPONSE:
        stats.streamsCompleted.increment();
        break;
      case CANCELLED:
        stats.streamsCancelled.increment();
        break;
      default:
        stats.streamsFailed.increment();
        break;
    }
    if (outcome == ExchangeOutcome.PROTOCOL_ERROR) {
      stats.protocolErrors.increment();
    }
    if (outcome == ExchangeOutcome.COMPLETED && cancelledAfterLastReply) {
      stats.cancelledAfterLastReply.increment();
    }
    stats.recordEnd(outcome);
  }

  /** The last call for a stream: the summary goes to the observer, then the stream stops being active. */
  void closed(ExchangeOutcome outcome, BodyMode requestMode, BodyMode responseMode, @Nullable String failure) {
    Duration duration = Duration.ofNanos(System.nanoTime() - startNanos);
    if (started) {
      ExchangeSummary summary = new ExchangeSummary(exchange.id(), outcome, envoyCancelled, requestMode,
          responseMode, messagesIn, messagesOut, bytesIn[0], bytesOut[0], bytesIn[1], bytesOut[1], peakHeld,
          duration, failure);
      guard("onEnd", () -> observer.onEnd(summary));
    }
    // Last, so that whoever sees no active stream also sees its outcome counted and its processor closed.
    stats.activeStreams.decrementAndGet();
    if (log.isDebugEnabled()) {
      log.debug("stream {} closed outcome={} request_mode={} response_mode={} messages_in={} messages_out={}"
              + " body_bytes_in={} body_bytes_out={} peak_bytes_held={} duration_ms={}",
          exchange.id(), outcome, requestMode, responseMode, messagesIn, messagesOut,
          bytesIn[0] + bytesIn[1], bytesOut[0] + bytesOut[1], peakHeld, duration.toMillis());
    }
  }

  private void guard(String method, Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      log.warn("stream {} observer {} threw {}", exchange.id(), method, e.toString());
    }
  }
}
