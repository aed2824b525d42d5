package dev.extproc;

import static java.util.Objects.requireNonNull;

/**
 * The processors of one HTTP exchange: one {@link DirectionProcessor} per direction, and the
 * exchange's end. Made for every exchange by a {@link ProcessorFactory}.
 *
 * <pre>{@code
 * ProcessorFactory factory = exchange -> ExchangeHandler.of(new Redactor(), new Redactor());
 * }</pre>
 *
 * <p>{@link ExchangeProcessor} is the other way to write one: both directions in one object.
 */
public interface ExchangeHandler {

  /** Returns the processor of the request direction. Called once per exchange, before its first event. */
  DirectionProcessor request();

  /** Returns the processor of the response direction. Called once per exchange, before its first event. */
  DirectionProcessor response();

  /**
   * Called exactly once when the exchange's stream ends, whatever the reason, after every other
   * callback. Release per-exchange resources (files, permits, buffers) here. Must not throw or
   * block. A stage returned earlier may still be pending (for example when Envoy cancels mid-body);
   * its result is ignored from now on, and write stages still waiting fail with a {@link
   * java.util.concurrent.CancellationException}. Not called when the stream ended before its first
   * message (no handler was made).
   */
  default void onClose(ExchangeOutcome outcome) {}

  /** Returns a handler of {@code request} and {@code response}, with nothing to do on close. */
  static ExchangeHandler of(DirectionProcessor request, DirectionProcessor response) {
    requireNonNull(request, "request");
    requireNonNull(response, "response");
    return new ExchangeHandler() {
      @Override
      public DirectionProcessor request() {
        return request;
      }

      @Override
      public DirectionProcessor response() {
        return response;
      }

      @Override
      public String toString() {
        return "ExchangeHandler[request=" + request + ", response=" + response + "]";
      }
    };
  }
}
