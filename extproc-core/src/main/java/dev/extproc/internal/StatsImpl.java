package dev.extproc.internal;

import dev.extproc.ExchangeOutcome;
import dev.extproc.ExtProcStats;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** The counters of one service. Thread-safe. */
final class StatsImpl implements ExtProcStats {
  final AtomicLong activeStreams = new AtomicLong();
  final LongAdder streamsStarted = new LongAdder();
  final LongAdder streamsCompleted = new LongAdder();
  final LongAdder streamsCancelled = new LongAdder();
  final LongAdder streamsFailed = new LongAdder();
  final LongAdder protocolErrors = new LongAdder();
  final LongAdder immediateResponses = new LongAdder();
  final LongAdder messagesReceived = new LongAdder();
  final LongAdder messagesSent = new LongAdder();
  final LongAdder cancelledAfterLastReply = new LongAdder();
  private final Map<ExchangeOutcome, LongAdder> ended = new EnumMap<>(ExchangeOutcome.class);
  final AtomicLong bytesHeld = new AtomicLong();

  StatsImpl() {
    for (ExchangeOutcome outcome : ExchangeOutcome.values()) {
      ended.put(outcome, new LongAdder());
    }
  }

  void recordEnd(ExchangeOutcome outcome) {
    ended.get(outcome).increment();
  }

  @Override public long streamsEnded(ExchangeOutcome outcome) { return ended.get(outcome).sum(); }
  @Override public long cancelledAfterLastReply() { return cancelledAfterLastReply.sum(); }
  final AtomicLong peakBytesHeldPerStream = new AtomicLong();

  void recordPeak(long streamBytes) {
    if (streamBytes > peakBytesHeldPerStream.get()) {
      peakBytesHeldPerStream.accumulateAndGet(streamBytes, Math::max);
    }
  }

  @Override public long activeStreams() { return activeStreams.get(); }
  @Override public long streamsStarted() { return streamsStarted.sum(); }
  @Override public long streamsCompleted() { return streamsCompleted.sum(); }
  @Override public long streamsCancelled() { return streamsCancelled.sum(); }
  @Override public long streamsFailed() { return streamsFailed.sum(); }
  @Override public long protocolErrors() { return protocolErrors.sum(); }
  @Override public long immediateResponses() { return immediateResponses.sum(); }
  @Override public long messagesReceived() { return messagesReceived.sum(); }
  @Override public long messagesSent() { return messagesSent.sum(); }
  @Override public long bytesHeld() { return bytesHeld.get(); }
  @Override public long peakBytesHeldPerStream() { return peakBytesHeldPerStream.get(); }

  @Override
  public String toString() {
    return "ExtProcStats{active=" + activeStreams() + ", started=" + streamsStarted()
        + ", completed=" + streamsCompleted() + ", cancelled=" + streamsCancelled()
        + ", failed=" + streamsFailed() + ", protocolErrors=" + protocolErrors()
        + ", immediateResponses=" + immediateResponses() + ", messagesReceived=" + messagesReceived()
        + ", messagesSent=" + messagesSent() + ", bytesHeld=" + bytesHeld()
        + ", peakBytesHeldPerStream=" + peakBytesHeldPerStream() + "}";
  }
}
