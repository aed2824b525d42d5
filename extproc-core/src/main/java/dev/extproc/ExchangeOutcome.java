package dev.extproc;

/** How an exchange's ext_proc stream ended, as reported to {@link ExchangeProcessor#onClose}. */
public enum ExchangeOutcome {
  /** Every direction that started reached its end and was answered. */
  COMPLETED,
  /** Envoy cancelled or closed the stream while a direction was still in progress. */
  CANCELLED,
  /** The stream failed: a protocol violation by the client, a processor error, or an I/O error. */
  FAILED,
  /** The processor answered with an immediate response, ending the exchange early. */
  IMMEDIATE_RESPONSE
}
