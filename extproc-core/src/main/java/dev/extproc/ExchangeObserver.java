package dev.extproc;

/**
 * Sees what every exchange of an {@link ExtProcService} does, for metrics and logs. Every method
 * has an empty default; implement what you need.
 *
 * <p><b>Threading.</b> Called on the exchange's serial executor (a gRPC thread or the thread that
 * completed a processor stage), never concurrently for one exchange but concurrently across
 * exchanges. Implementations must be thread-safe, fast and non-blocking, and must not throw (what
 * they throw is logged and ignored).
 */
public interface ExchangeObserver {

  /** An observer that does nothing. */
  ExchangeObserver NONE = new ExchangeObserver() {};

  /** A stream's first message arrived and its handler was made. Once per exchange. */
  default void onStart(ExchangeInfo exchange) {}

  /** A ProcessingRequest of {@code part} arrived; {@code bodyBytes} is its body size (0 but for BODY). */
  default void onMessageReceived(ExchangeInfo exchange, Direction direction, MessagePart part, int bodyBytes) {}

  /**
   * A ProcessingResponse of {@code part} was handed to gRPC; {@code bodyBytes} is the body it carries.
   * {@code direction} is the direction that triggered an immediate response.
   */
  default void onMessageSent(ExchangeInfo exchange, Direction direction, MessagePart part, int bodyBytes) {}

  /**
   * A processor event's stage completed (successfully or not), {@code nanos} after the event was
   * called. {@code part} is HEADERS, BODY or TRAILERS; {@code onEnd} is reported as BODY with
   * {@code end} true.
   */
  default void onProcessorEvent(ExchangeInfo exchange, Direction direction, MessagePart part, boolean end, long nanos) {}

  /**
   * The engine withheld its request for Envoy's next message because output held is at the budget
   * or gRPC is not ready to send: inbound flow control is pushing back. At most once per pause.
   */
  default void onInboundPaused(ExchangeInfo exchange) {}

  /** gRPC stopped accepting replies for now (the HTTP/2 window to Envoy is full). At most once per pause. */
  default void onOutboundNotReady(ExchangeInfo exchange) {}

  /** The stream ended; {@code summary} says how. Once per exchange that started, last of all calls. */
  default void onEnd(ExchangeSummary summary) {}
}
