package dev.extproc.transforms;

import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExchangeOutcome;

/**
 * An {@link ExchangeHandler} of two transform processors that releases both when the exchange
 * ends, however it ends (a cancelled stream included): no native memory, buffer or temp file is
 * left behind.
 */
public final class TransformHandler implements ExchangeHandler {
  private final DirectionProcessor request;
  private final DirectionProcessor response;

  public TransformHandler(DirectionProcessor request, DirectionProcessor response) {
    this.request = request;
    this.response = response;
  }

  @Override
  public DirectionProcessor request() {
    return request;
  }

  @Override
  public DirectionProcessor response() {
    return response;
  }

  @Override
  public void onClose(ExchangeOutcome outcome) {
    closeQuietly(request);
    closeQuietly(response);
  }

  private static void closeQuietly(DirectionProcessor processor) {
    if (processor instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        // onClose must not throw; what close() releases is released or lost either way.
      }
    }
  }
}
