package dev.extproc;

/**
 * Makes the {@link ExchangeProcessor} for each new exchange. Called once per ext_proc stream, on
 * a gRPC thread, before the stream's first message is handled; must be thread-safe and fast.
 */
@FunctionalInterface
public interface ProcessorFactory {
  /** Returns a new processor for the exchange described by {@code exchange}. */
  ExchangeProcessor newProcessor(ExchangeInfo exchange);
}
