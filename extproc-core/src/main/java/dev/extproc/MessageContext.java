package dev.extproc;

import com.google.protobuf.Struct;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;

/**
 * The context an {@link ExchangeProcessor} gets: its direction's {@link DirectionContext}, plus
 * the exchange-wide operations reachable directly, as in the first version of the API. New code
 * uses {@link DirectionProcessor} and {@link DirectionContext#exchange()}.
 */
public interface MessageContext extends DirectionContext {

  /** Same as {@code exchange().respond(response)}. */
  default void respond(ImmediateResponse response) {
    exchange().respond(response);
  }

  /** Same as {@code exchange().overrideMode(mode)}. */
  default void overrideMode(ProcessingMode mode) {
    exchange().overrideMode(mode);
  }

  /** Same as {@code exchange().setDynamicMetadata(metadata)}. */
  default void setDynamicMetadata(Struct metadata) {
    exchange().setDynamicMetadata(metadata);
  }
}
