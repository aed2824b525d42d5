package dev.extproc.server;

import dev.extproc.Direction;
import dev.extproc.ExchangeInfo;
import dev.extproc.ExchangeObserver;
import dev.extproc.ExchangeSummary;
import dev.extproc.MessagePart;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls several observers in order, on the caller's thread. One that throws (observers must not)
 * is logged and does not keep the others from being called.
 */
final class CompositeObserver implements ExchangeObserver {
  private static final Logger log = LoggerFactory.getLogger(CompositeObserver.class);

  private final List<ExchangeObserver> observers;

  private CompositeObserver(List<ExchangeObserver> observers) {
    this.observers = observers;
  }

  /** Returns one observer calling all of {@code observers}. */
  static ExchangeObserver of(List<ExchangeObserver> observers) {
    return observers.size() == 1 ? observers.get(0) : new CompositeObserver(List.copyOf(observers));
  }

  @Override
  public void onStart(ExchangeInfo exchange) {
    each(o -> o.onStart(exchange));
  }

  @Override
  public void onMessageReceived(ExchangeInfo exchange, Direction direction, MessagePart part, int bodyBytes) {
    each(o -> o.onMessageReceived(exchange, direction, part, bodyBytes));
  }

  @Override
  public void onMessageSent(ExchangeInfo exchange, Direction direction, MessagePart part, int bodyBytes) {
    each(o -> o.onMessageSent(exchange, direction, part, bodyBytes));
  }

  @Override
  public void onProcessorEvent(ExchangeInfo exchange, Direction direction, MessagePart part, boolean end, long nanos) {
    each(o -> o.onProcessorEvent(exchange, direction, part, end, nanos));
  }

  @Override
  public void onInboundPaused(ExchangeInfo exchange) {
    each(o -> o.onInboundPaused(exchange));
  }

  @Override
  public void onOutboundNotReady(ExchangeInfo exchange) {
    each(o -> o.onOutboundNotReady(exchange));
  }

  @Override
  public void onEnd(ExchangeSummary summary) {
    each(o -> o.onEnd(summary));
  }

  private void each(java.util.function.Consumer<ExchangeObserver> call) {
    for (ExchangeObserver observer : observers) {
      try {
        call.accept(observer);
      } catch (RuntimeException e) {
        log.warn("exchange observer {} failed: {}", observer.getClass().getName(), e.toString());
      }
    }
  }
}
