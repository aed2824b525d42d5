package dev.extproc;

/**
 * How an exchange's ext_proc stream ended, as reported to {@link ExchangeHandler#onClose} and
 * counted in {@link ExtProcStats}. Exactly one outcome per stream.
 */
public enum ExchangeOutcome {
  /**
   * Every direction that started (or that the processing mode says will come) reached its end and
   * was answered. Envoy resets the stream after the last reply as its normal way of closing it;
   * such a stream counts here.
   */
  COMPLETED,
  /** A processor answered with an immediate response, ending the exchange early. */
  IMMEDIATE_RESPONSE,
  /**
   * Envoy cancelled or reset the stream before the last reply: the HTTP client aborted, the
   * upstream reset, or Envoy gave up (a timeout). The wire does not say which.
   */
  CANCELLED,
  /** The client (Envoy, or whatever spoke for it) broke the ext_proc protocol or sent bytes that do not parse. */
  PROTOCOL_ERROR,
  /** A processor threw, returned a failed stage, or broke an output rule. */
  PROCESSOR_ERROR,
  /** The gRPC deadline of the stream expired. */
  DEADLINE_EXCEEDED,
  /** The engine itself failed (a bug): logged with its stack trace. */
  INTERNAL_ERROR;

  /** Returns whether this outcome is a failure (a protocol, processor, deadline or internal error). */
  public boolean isFailure() {
    return this == PROTOCOL_ERROR || this == PROCESSOR_ERROR || this == DEADLINE_EXCEEDED || this == INTERNAL_ERROR;
  }
}
