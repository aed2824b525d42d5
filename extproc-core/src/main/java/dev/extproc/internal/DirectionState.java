package dev.extproc.internal;

/**
 * Where one direction of an exchange stands on the reply side: which event it is in and what it
 * still owes Envoy. Moves forward only, with one exception: trailers may reopen a direction that
 * was answered as far as its body goes (mode NONE, or after BUFFERED_PARTIAL's message), since a
 * trailers reply is then owed.
 *
 * <pre>
 * IDLE ──headers──▶ HEADERS ──body──▶ BODY ──end_of_stream──▶ ENDING ──final reply sent──▶ ANSWERED
 *   │                  │ └─end_of_stream / mode NONE: header reply sent──────────────────▶ ANSWERED
 *   └──body (header mode SKIP)──▶ BODY ──BUFFERED_PARTIAL reply──▶ PASSING_THROUGH
 * HEADERS, BODY, PASSING_THROUGH, ANSWERED(NONE) ──trailers──▶ TRAILERS ──reply queued──▶ ENDING
 * </pre>
 */
enum DirectionState {
  /** Nothing received yet. */
  IDLE,
  /** The headers were received; a body or trailers may follow. */
  HEADERS,
  /** At least one body message was received and the body has not ended. */
  BODY,
  /** BUFFERED_PARTIAL's message was answered; the rest of the body passes through Envoy. */
  PASSING_THROUGH,
  /** The trailers event is running. */
  TRAILERS,
  /** The end was handled; the final reply (or FULL_DUPLEX_STREAMED's remaining output) is owed. */
  ENDING,
  /** Everything this direction owes was handed to gRPC. */
  ANSWERED;

  /** Returns whether nothing more is owed unless more messages arrive. */
  boolean answered() {
    return this == ANSWERED || this == PASSING_THROUGH;
  }
}
