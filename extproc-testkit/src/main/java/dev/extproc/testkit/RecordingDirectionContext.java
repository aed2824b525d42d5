package dev.extproc.testkit;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeContext;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import dev.extproc.MessageContext;
import dev.extproc.Processing;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A test double of one direction's context, for unit-testing a {@link
 * dev.extproc.DirectionProcessor} (or an {@link dev.extproc.ExchangeProcessor}, or a {@link
 * dev.extproc.ProcessorChain}) by calling its methods directly, without an engine: it records what
 * the processor does and applies none of the engine's rules (no flow-control budget, no check that
 * a header mutation is allowed at this point, no end of output).
 *
 * <p>Use {@link EmbeddedStream} to test a processor as Envoy would drive it; use this double when
 * the test needs what only a hand-held context gives, for example deciding when the stage returned
 * by {@link #write} completes ({@link #writeStages}).
 *
 * <pre>{@code
 * RecordingDirectionContext ctx = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
 * processor.onHeaders(ctx, HttpHeaders.empty(), false);
 * processor.onBody(ctx, ByteString.copyFromUtf8("hi"), true);
 * assertThat(ctx.output().toStringUtf8()).isEqualTo("HI");
 * assertThat(ctx.events()).containsExactly("set:x-seen=yes", "write:HI");
 * }</pre>
 *
 * <p><b>Events.</b> {@link #events()} lists what the processor did, in order, one string each:
 * {@code write:<data as UTF-8>}, {@code set:<name>=<value>}, {@code append:<name>=<value>}, {@code
 * remove:<name>}, {@code respond:<status>}, {@code override}, {@code metadata} ({@code
 * setDynamicMetadata}) and {@code metadata:<namespace>.<key>=<value>} ({@code putMetadata}).
 *
 * <p>{@link #drive} runs a processor through a whole message (headers, chunks, end) and returns
 * its failure, if any; {@link #metadata(String)} gives the values put with {@code putMetadata}.
 *
 * <p><b>Exchange.</b> {@link #exchange()} records its operations here too; its id is {@code
 * test-exchange}, it started at the epoch, both directions' initial body mode is this context's,
 * it has no attributes and empty metadata, and its scheduler is a {@link ManualScheduler} ({@link
 * #scheduler()}) that runs nothing until the test says so. {@link #bodyMode()} stays the mode given
 * here (a recorded override does not change it).
 *
 * <p><b>Threading.</b> Every method may be called from any thread; recording is synchronized.
 */
public final class RecordingDirectionContext implements MessageContext {
  /** How long {@link #drive} waits for each of the processor's stages. */
  public static final long DRIVE_TIMEOUT_SECONDS = 30;

  private final Direction direction;
  private final BodyMode mode;
  private final ManualScheduler scheduler = new ManualScheduler();
  private final ExchangeContext exchange = new RecordingExchange();
  private final List<String> events = new ArrayList<>();
  private final List<ImmediateResponse> responses = new ArrayList<>();
  private final Map<String, Map<String, @Nullable Object>> metadata = new LinkedHashMap<>();
  private ByteString output = ByteString.EMPTY;
  private Supplier<? extends CompletionStage<Void>> writeStages = Processing::done;

  /** A context of {@code direction} in body mode {@code mode}; every write's stage is complete. */
  public RecordingDirectionContext(Direction direction, BodyMode mode) {
    this.direction = requireNonNull(direction, "direction");
    this.mode = requireNonNull(mode, "mode");
  }

  /**
   * Makes each {@link #write} return the next stage {@code stages} supplies, in place of a complete
   * one: the test then decides when "the engine has room" (for flow-control tests). Returns this.
   */
  public synchronized RecordingDirectionContext writeStages(Supplier<? extends CompletionStage<Void>> stages) {
    this.writeStages = requireNonNull(stages, "stages");
    return this;
  }

  /** Returns everything written so far, concatenated. */
  public synchronized ByteString output() {
    return output;
  }

  /** Returns a copy of the events recorded so far, in order (formats in the class comment). */
  public synchronized List<String> events() {
    return List.copyOf(events);
  }

  /** Returns a copy of the immediate responses asked for so far, in order. */
  public synchronized List<ImmediateResponse> responses() {
    return List.copyOf(responses);
  }

  /**
   * Returns the values put with {@code putMetadata} in {@code namespace} so far, by key (the last
   * put of a key wins; keys in the order first put), as an unmodifiable copy; empty when none.
   */
  public synchronized Map<String, @Nullable Object> metadata(String namespace) {
    Map<String, @Nullable Object> values = metadata.get(namespace);
    return values == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  /**
   * Drives {@code processor} through one message on the calling thread: {@code onHeaders} (not end
   * of stream), then {@code onBody} for each of {@code chunks} (the last one marked last), then
   * {@code onEnd}; it stops early once an immediate response has been asked for, as the engine
   * would. Waits at most {@value #DRIVE_TIMEOUT_SECONDS} s for each stage.
   *
   * @return null when every stage completed normally; otherwise what the processor threw or failed
   *     its stage with (unwrapped from {@link CompletionException}), or the timeout
   */
  public @Nullable Throwable drive(DirectionProcessor processor, HttpHeaders headers, List<ByteString> chunks) {
    try {
      await(processor.onHeaders(this, headers, false));
      for (int i = 0; i < chunks.size() && responses().isEmpty(); i++) {
        await(processor.onBody(this, chunks.get(i), i == chunks.size() - 1));
      }
      if (responses().isEmpty()) {
        await(processor.onEnd(this));
      }
      return null;
    } catch (RuntimeException e) {
      Throwable cause = e;
      while (cause instanceof CompletionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      return cause;
    }
  }

  private static void await(CompletionStage<Void> stage) {
    stage.toCompletableFuture().orTimeout(DRIVE_TIMEOUT_SECONDS, TimeUnit.SECONDS).join();
  }

  /** Returns the exchange's scheduler: a manual clock the test advances. */
  public ManualScheduler scheduler() {
    return scheduler;
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
    return exchange;
  }

  @Override
  public CompletionStage<Void> write(ByteString data) {
    requireNonNull(data, "data");
    Supplier<? extends CompletionStage<Void>> stages;
    synchronized (this) {
      output = output.concat(data);
      events.add("write:" + data.toStringUtf8());
      stages = writeStages;
    }
    return stages.get(); // outside the lock: a supplied stage may run the caller's code
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

  private synchronized void record(String event) {
    events.add(event);
  }

  /** The exchange-wide operations, recorded in the same event list. */
  private final class RecordingExchange implements ExchangeContext {
    @Override
    public void respond(ImmediateResponse response) {
      requireNonNull(response, "response");
      synchronized (RecordingDirectionContext.this) {
        responses.add(response);
        events.add("respond:" + response.status());
      }
    }

    @Override
    public void overrideMode(ProcessingMode mode) {
      record("override");
    }

    @Override
    public void setDynamicMetadata(Struct metadata) {
      record("metadata");
    }

    @Override
    public void putMetadata(String namespace, String key, @Nullable Object value) {
      synchronized (RecordingDirectionContext.this) {
        metadata.computeIfAbsent(namespace, n -> new LinkedHashMap<>()).put(key, value);
        events.add("metadata:" + namespace + "." + key + "=" + value);
      }
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
      return scheduler;
    }
  }
}
