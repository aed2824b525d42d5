package dev.extproc.processors;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ExchangeInfo;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExchangeProcessor;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import dev.extproc.MessageContext;
import dev.extproc.ProcessorFactory;
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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Drives one processor through the events of an exchange directly, the way the engine would,
 * recording the output of each message: for testing processor logic without gRPC.
 */
final class TestExchange implements dev.extproc.ExchangeContext {
  private static final AtomicInteger ids = new AtomicInteger();

  private final String id;
  private final ScheduledExecutorService scheduler;
  private final ExchangeProcessor processor;
  final List<ImmediateResponse> responses = new ArrayList<>();

  TestExchange(ProcessorFactory factory, ScheduledExecutorService scheduler) {
    this.id = "x" + System.nanoTime() + "-" + ids.incrementAndGet();
    this.scheduler = scheduler;
    this.processor = asProcessor(factory.newProcessor(this));
  }

  /** What one direction produced. */
  record Result(List<ByteString> replies, ByteString tail, Map<String, String> headers, boolean responded) {
    ByteString body() {
      ByteString all = ByteString.EMPTY;
      for (ByteString reply : replies) {
        all = all.concat(reply);
      }
      return all.concat(tail);
    }
  }

  /** Sends one direction: headers (with end of stream when {@code chunks} is empty), the chunks, the end. */
  Result direction(Direction direction, BodyMode mode, HttpHeaders headers, List<ByteString> chunks) throws Exception {
    Context ctx = new Context(direction, mode);
    boolean eos = chunks.isEmpty();
    await(processor.onHeaders(ctx, headers, eos));
    List<ByteString> replies = new ArrayList<>();
    if (!ctx.responded) {
      for (ByteString chunk : chunks) {
        await(processor.onBody(ctx, chunk));
        replies.add(ctx.take());
        if (ctx.responded) {
          break;
        }
      }
    }
    ByteString tail = ByteString.EMPTY;
    if (!ctx.responded) {
      await(processor.onEnd(ctx));
      tail = ctx.take();
    }
    return new Result(replies, tail, ctx.headers, ctx.responded);
  }

  void close(ExchangeOutcome outcome) {
    processor.onClose(outcome);
  }

  ExchangeProcessor processor() {
    return processor;
  }

  Context context(Direction direction, BodyMode mode) {
    return new Context(direction, mode);
  }

  static void await(CompletionStage<Void> stage) throws Exception {
    stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public Instant startTime() {
    return Instant.EPOCH;
  }

  @Override
  public BodyMode initialBodyMode(Direction direction) {
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
    return scheduler;
  }

  @Override
  public void respond(ImmediateResponse response) {
    responses.add(response);
  }

  @Override
  public void overrideMode(io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode mode) {
    throw new UnsupportedOperationException("overrideMode in TestExchange");
  }

  @Override
  public void setDynamicMetadata(com.google.protobuf.Struct metadata) {}

  @Override
  public void putMetadata(String namespace, String key, Object value) {}

  /** A context that collects the output written while handling one message. */
  final class Context implements MessageContext {
    private final Direction direction;
    private final BodyMode mode;
    private ByteString current = ByteString.EMPTY;
    final Map<String, String> headers = new LinkedHashMap<>();
    final List<Integer> writeSizes = new ArrayList<>();
    volatile boolean responded;

    Context(Direction direction, BodyMode mode) {
      this.direction = direction;
      this.mode = mode;
    }

    synchronized ByteString take() {
      ByteString out = current;
      current = ByteString.EMPTY;
      return out;
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
    public dev.extproc.ExchangeContext exchange() {
      return TestExchange.this;
    }

    @Override
    public synchronized CompletionStage<Void> write(ByteString data) {
      if (responded) {
        throw new IllegalStateException("write after an immediate response");
      }
      writeSizes.add(data.size());
      current = current.concat(data);
      return dev.extproc.Processing.done();
    }

    @Override
    public synchronized void setHeader(String name, String value) {
      headers.put(name, value);
    }

    @Override
    public synchronized void appendHeader(String name, String value) {
      headers.merge(name, value, (a, b) -> a + "," + b);
    }

    @Override
    public synchronized void removeHeader(String name) {
      headers.put(name, null);
    }

    @Override
    public synchronized void respond(ImmediateResponse response) {
      responded = true;
      responses.add(response);
    }

    @Override
    public void overrideMode(ProcessingMode mode) {
      throw new IllegalStateException("no overrides");
    }

    @Override
    public void setDynamicMetadata(Struct metadata) {}
  }

  /** Drives an {@link dev.extproc.ExchangeHandler} through the {@link ExchangeProcessor} methods this harness knows. */
  private static ExchangeProcessor asProcessor(dev.extproc.ExchangeHandler handler) {
    if (handler instanceof ExchangeProcessor) {
      return (ExchangeProcessor) handler;
    }
    dev.extproc.DirectionProcessor request = handler.request();
    dev.extproc.DirectionProcessor response = handler.response();
    return new ExchangeProcessor() {
      private dev.extproc.DirectionProcessor of(dev.extproc.MessageContext ctx) {
        return ctx.direction() == Direction.REQUEST ? request : response;
      }

      @Override
      public java.util.concurrent.CompletionStage<Void> onHeaders(dev.extproc.MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        return of(ctx).onHeaders(ctx, headers, endOfStream);
      }

      @Override
      public java.util.concurrent.CompletionStage<Void> onBody(dev.extproc.MessageContext ctx, ByteString chunk) {
        return of(ctx).onBody(ctx, chunk, false);
      }

      @Override
      public java.util.concurrent.CompletionStage<Void> onEnd(dev.extproc.MessageContext ctx) {
        return of(ctx).onEnd(ctx);
      }

      @Override
      public java.util.concurrent.CompletionStage<Void> onTrailers(dev.extproc.MessageContext ctx, HttpHeaders trailers) {
        return of(ctx).onTrailers(ctx, trailers);
      }

      @Override
      public void onClose(dev.extproc.ExchangeOutcome outcome) {
        handler.onClose(outcome);
      }
    };
  }
}
