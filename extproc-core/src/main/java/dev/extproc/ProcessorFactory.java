package dev.extproc;

/**
 * Makes the {@link ExchangeHandler} for each new exchange (an {@link ExchangeProcessor} is one).
 * Called once per ext_proc stream, on a gRPC thread, before the stream's first message is handled;
 * must be thread-safe and fast.
 */
@FunctionalInterface
public interface ProcessorFactory {
  /** Returns a new handler for the exchange described by {@code exchange}; never null. */
  ExchangeHandler newProcessor(ExchangeInfo exchange);
}
