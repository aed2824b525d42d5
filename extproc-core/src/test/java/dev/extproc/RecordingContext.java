package dev.extproc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/** A MessageContext that records what a processor does, for driving processors without an engine. */
final class RecordingContext implements MessageContext {
  final List<String> events = new ArrayList<>();
  final List<ImmediateResponse> responses = new ArrayList<>();
  private final Direction direction;
  private final BodyMode mode;
  private ByteString output = ByteString.EMPTY;
  private Supplier<CompletionStage<Void>> writeStages = Processing::done;

  RecordingContext(Direction direction, BodyMode mode) {
    this.direction = direction;
    this.mode = mode;
  }

  /** Makes write() return the stages {@code stages} supplies (for flow-control tests). */
  RecordingContext writeStages(Supplier<CompletionStage<Void>> stages) {
    this.writeStages = stages;
    return this;
  }

  synchronized ByteString output() {
    return output;
  }

  @Override
  public Direction direction() {
    return direction;
  }

  @Override
  public BodyMode bodyMode() {
    return mode;
  }

  @Override
  public ExchangeContext exchange() {
    return new ExchangeContext() {
      @Override
      public void respond(ImmediateResponse response) {
        RecordingContext.this.respond(response);
      }

      @Override
      public void overrideMode(ProcessingMode mode) {
        RecordingContext.this.overrideMode(mode);
      }

      @Override
      public void setDynamicMetadata(Struct metadata) {
        RecordingContext.this.setDynamicMetadata(metadata);
      }

      @Override
      public void putMetadata(String namespace, String key, Object value) {
        throw new UnsupportedOperationException("putMetadata in RecordingContext");
      }

      @Override
      public String id() {
        return "test-exchange";
      }

      @Override
      public Instant startTime() {
        return Instant.EPOCH;
      }

      @Override
      public BodyMode initialBodyMode(Direction d) {
        return mode;
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
        throw new UnsupportedOperationException("no scheduler in RecordingContext");
      }
    };
  }

  @Override
  public synchronized CompletionStage<Void> write(ByteString data) {
    output = output.concat(data);
    events.add("write:" + data.toStringUtf8());
    return writeStages.get();
  }

  @Override
  public synchronized void setHeader(String name, String value) {
    events.add("set:" + name + "=" + value);
  }

  @Override
  public synchronized void appendHeader(String name, String value) {
    events.add("append:" + name + "=" + value);
  }

  @Override
  public synchronized void removeHeader(String name) {
    events.add("remove:" + name);
  }

  @Override
  public synchronized void respond(ImmediateResponse response) {
    responses.add(response);
    events.add("respond:" + response.status());
  }

  @Override
  public synchronized void overrideMode(ProcessingMode mode) {
    events.add("override");
  }

  @Override
  public synchronized void setDynamicMetadata(Struct metadata) {
    events.add("metadata");
  }
}
