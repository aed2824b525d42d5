package dev.extproc;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Small helpers for the stages {@link ExchangeProcessor} methods return. */
public final class Processing {
  private static final CompletionStage<Void> DONE = CompletableFuture.completedStage(null);

  private Processing() {}

  /** Returns an already-completed stage: the event is fully handled. */
  public static CompletionStage<Void> done() {
    return DONE;
  }

  /** Returns a stage that failed with {@code cause}: the exchange fails. */
  public static CompletionStage<Void> failed(Throwable cause) {
    return CompletableFuture.failedStage(cause);
  }
}
