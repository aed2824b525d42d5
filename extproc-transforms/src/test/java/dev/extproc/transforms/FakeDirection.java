package dev.extproc.transforms;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeContext;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import dev.extproc.Processing;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A direction without an engine, for unit tests: records what a processor writes, the header
 * mutations, metadata and an immediate response, and drives a processor through a body's events.
 */
final class FakeDirection implements DirectionContext, ExchangeContext {
  final Direction direction;
  final ByteString.Output output = ByteString.newOutput();
  final Map<String, String> headerSets = new LinkedHashMap<>();
  final List<String> headerRemovals = new ArrayList<>();
  final Map<String, Object> metadata = new LinkedHashMap<>();
  ImmediateResponse response;
  int writes;

  FakeDirection(Direction direction) {
    this.direction = direction;
  }

  /** Drives {@code processor} through headers, the chunks and the end; returns the failure, if any. */
  Throwable run(DirectionProcessor processor, HttpHeaders headers, List<ByteString> chunks) {
    try {
      join(processor.onHeaders(this, headers, false));
      for (int i = 0; i < chunks.size() && response == null; i++) {
        join(processor.onBody(this, chunks.get(i), i == chunks.size() - 1));
      }
      if (response == null) {
        join(processor.onEnd(this));
      }
      return null;
    } catch (RuntimeException e) {
      Throwable cause = e;
      while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      return cause;
    }
  }

  ByteString body() {
    return output.toByteString();
  }

  private static void join(CompletionStage<Void> stage) {
    stage.toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
  }

  @Override
  public Direction direction() {
    return direction;
  }

  @Override
  public BodyMode bodyMode() {
    return BodyMode.STREAMED;
  }

  @Override
  public ExchangeContext exchange() {
    return this;
  }

  @Override
  public CompletionStage<Void> write(ByteString data) {
    if (response != null) {
      throw new IllegalStateException("write after an immediate response");
    }
    writes++;
    output.write(data.toByteArray(), 0, data.size());
    return Processing.done();
  }

  @Override
  public void setHeader(String name, String value) {
    headerSets.put(name, value);
  }

  @Override
  public void appendHeader(String name, String value) {
    headerSets.put(name, value);
  }

  @Override
  public void removeHeader(String name) {
    headerRemovals.add(name);
  }

  @Override
  public void respond(ImmediateResponse immediate) {
    this.response = immediate;
  }

  @Override
  public void overrideMode(ProcessingMode mode) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void setDynamicMetadata(Struct data) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void putMetadata(String namespace, String key, Object value) {
    metadata.put(namespace + "/" + key, value);
  }

  @Override
  public String id() {
    return "test";
  }

  @Override
  public Instant startTime() {
    return Instant.EPOCH;
  }

  @Override
  public BodyMode initialBodyMode(Direction d) {
    return BodyMode.STREAMED;
  }

  @Override
  public Map<String, Struct> attributes() {
    return Map.of();
  }

  @Override
  public Metadata metadataContext() {
    return Metadata.getDefaultInstance();
  }

  @Override
  public ScheduledExecutorService scheduler() {
    throw new UnsupportedOperationException();
  }
}
