package dev.extproc.internal;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Struct;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ExchangeContext;
import dev.extproc.ExtProcConfig;
import dev.extproc.ImmediateResponse;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * The exchange as its processors and observers see it: what is known about it ({@link
 * dev.extproc.ExchangeInfo}) and the exchange-wide operations, checked on the caller's thread and
 * applied on the exchange's serial executor.
 */
final class ExchangeScope implements ExchangeContext {
  private final Exchange exchange;
  private final ExtProcConfig config;
  private final String id;
  private final Instant startTime = Instant.now();
  private final ScheduledExecutorService scheduler;
  private volatile BodyMode initialRequestMode = BodyMode.NONE;
  private volatile BodyMode initialResponseMode = BodyMode.NONE;
  private volatile Map<String, Struct> attributes = Map.of();
  private volatile Metadata metadataContext = Metadata.getDefaultInstance();
  /** Envoy sends bodies before the header reply (and then ignores mode_override). */
  private volatile boolean bodyWithoutWaiting;

  ExchangeScope(Exchange exchange, ExtProcConfig config, String id, ScheduledExecutorService scheduler) {
    this.exchange = exchange;
    this.config = config;
    this.id = id;
    this.scheduler = scheduler;
  }

  /** Records what the first message says about the exchange. */
  void begin(ProcessingMode mode, ProcessingRequest first) {
    initialRequestMode = BodyMode.fromProto(mode.getRequestBodyMode());
    initialResponseMode = BodyMode.fromProto(mode.getResponseBodyMode());
    bodyWithoutWaiting = first.hasProtocolConfig() && first.getProtocolConfig().getSendBodyWithoutWaitingForHeaderResponse();
    attributes = Map.copyOf(first.getAttributesMap());
    metadataContext = first.getMetadataContext();
  }

  @Override public String id() { return id; }
  @Override public Instant startTime() { return startTime; }
  @Override public Map<String, Struct> attributes() { return attributes; }
  @Override public Metadata metadataContext() { return metadataContext; }
  @Override public ScheduledExecutorService scheduler() { return scheduler; }
  @Override public String toString() { return "Exchange[" + id + "]"; }

  @Override
  public BodyMode initialBodyMode(Direction direction) {
    return direction == Direction.REQUEST ? initialRequestMode : initialResponseMode;
  }

  @Override
  public void respond(ImmediateResponse immediate) {
    requireNonNull(immediate, "response");
    exchange.runOnExecutor(() -> exchange.respond(immediate));
  }

  @Override
  public void overrideMode(ProcessingMode override) {
    requireNonNull(override, "mode");
    if (!config.modeOverrideAllowed()) {
      throw new IllegalStateException("overrideMode: mode overrides are disabled (expected:"
          + " ExtProcConfig.modeOverrideAllowed true, matching Envoy's allow_mode_override)");
    }
    DirectionFlow request = exchange.request;
    DirectionFlow response = exchange.response;
    if (request.target != DirectionFlow.MutationTarget.HEADERS
        && response.target != DirectionFlow.MutationTarget.HEADERS) {
      throw new IllegalStateException("overrideMode outside onHeaders: Envoy honours mode_override"
          + " only in a headers reply");
    }
    if (bodyWithoutWaiting) {
      throw new IllegalStateException("overrideMode with send_body_without_waiting_for_header_response:"
          + " Envoy ignores mode_override then");
    }
    if (request.mode == BodyMode.FULL_DUPLEX_STREAMED || response.mode == BodyMode.FULL_DUPLEX_STREAMED) {
      throw new IllegalStateException("overrideMode while a direction is FULL_DUPLEX_STREAMED: Envoy"
          + " ignores mode_override then");
    }
    exchange.runOnExecutor(() -> exchange.replier().override(override));
  }

  @Override
  public void setDynamicMetadata(Struct metadata) {
    requireNonNull(metadata, "metadata");
    exchange.runOnExecutor(() -> exchange.replier().addMetadata(metadata));
  }

  @Override
  public void putMetadata(String namespace, String key, @Nullable Object value) {
    setDynamicMetadata(MetadataValues.single(namespace, key, value));
  }
}
