package dev.extproc;

/**
 * Live counters of one {@link ExtProcService}. Thread-safe; every read is a snapshot. Servers
 * export these as metrics; tests assert on them (for example that no stream is left open).
 */
public interface ExtProcStats {
  /** Returns the streams open right now. */
  long activeStreams();

  /** Returns the streams started since the service was made. */
  long streamsStarted();

  /**
   * Returns the streams that ended with every started direction answered, including those ended
   * by an immediate response. Started = active + completed + cancelled + failed.
   */
  long streamsCompleted();

  /** Returns the streams Envoy cancelled or closed mid-exchange. */
  long streamsCancelled();

  /** Returns the streams failed by a protocol violation or processor error. */
  long streamsFailed();

  /** Returns the streams failed because the client broke the protocol. */
  long protocolErrors();

  /** Returns the streams that ended with {@code outcome}; the outcomes of all ended streams sum to started - active. */
  long streamsEnded(ExchangeOutcome outcome);

  /**
   * Returns the streams Envoy cancelled after their last reply (its normal way of closing a
   * stream); they are counted as {@link ExchangeOutcome#COMPLETED} too.
   */
  long cancelledAfterLastReply();

  /** Returns the immediate responses sent. */
  long immediateResponses();

  /** Returns the ProcessingRequest messages received. */
  long messagesReceived();

  /** Returns the ProcessingResponse messages sent. */
  long messagesSent();

  /**
   * Returns the body bytes held by the engine across all streams right now: inbound chunks being
   * processed plus output not yet handed to gRPC.
   */
  long bytesHeld();

  /** Returns the most body bytes any one stream has held at once since the service was made. */
  long peakBytesHeldPerStream();
}
