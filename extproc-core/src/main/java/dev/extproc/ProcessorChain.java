package dev.extproc;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Composes exchange handlers, in order, into one: per direction, a chain of the handlers' {@link
 * DirectionProcessor}s where the output of processor {@code i} (what it {@link
 * DirectionContext#write writes}) is the input of processor {@code i + 1} (its {@link
 * DirectionProcessor#onBody} calls), and the output of the last processor is the body Envoy
 * receives. The chain is also an {@link ExchangeProcessor}, so it can be driven through the first
 * version of the API.
 *
 * <pre>{@code
 * ProcessorFactory factory = ProcessorChain.factory(List.of(captureFactory, replaceFactory));
 * }</pre>
 *
 * <p><b>Order matters.</b> Each processor sees the body as the processors before it left it:
 *
 * <ul>
 *   <li>{@code capture,replace}: capture sees (and stores) the original body; replace then swaps
 *       it, so Envoy receives the replacement.
 *   <li>{@code replace,capture}: capture sees and stores the replacement, that is exactly the bytes
 *       Envoy receives.
 *   <li>{@code delay,X} and {@code X,delay}: the delay applies to every event either way; placed
 *       first it delays before {@code X} runs, placed last it delays the output of {@code X}.
 * </ul>
 *
 * <p><b>Events.</b> {@code onHeaders}, {@code onEnd} and {@code onTrailers} go to every processor
 * in chain order, each after the previous one's stage completed and after everything it wrote
 * reached the next processor. {@code onEnd} reaches processor {@code i + 1} only once processor
 * {@code i} finished its own {@code onEnd} (whose writes are the tail of {@code i + 1}'s input).
 * Writes of one processor reach the next one strictly in order, one {@code onBody} at a time, and
 * the stage returned by {@code write} completes when the next processor finished with the chunk,
 * so flow control travels from Envoy back through the whole chain. Empty writes are not
 * forwarded (chunks are never empty). A chain event's stage completes when every processor
 * finished with it.
 *
 * <p><b>Headers.</b> Every processor receives the headers as Envoy sent them; header mutations
 * made by the processors accumulate on the same reply in chain order (a later {@code setHeader}
 * of the same name wins). A processor after one that injects a body into a body-less message
 * (writing in {@code onEnd} after {@code onHeaders(endOfStream=true)}) receives that body as
 * {@code onBody} calls before its {@code onEnd}.
 *
 * <p><b>Holding back.</b> A direction's chain {@linkplain DirectionProcessor#holdsBack() holds
 * back} when any of its processors does. The first processor gets the engine's {@code last} flag;
 * the later ones receive their input as it is written, with {@code last} false, and learn the end
 * from {@code onEnd}, whose output the engine then always delivers.
 *
 * <p><b>Immediate responses.</b> An immediate response from any processor ends the exchange: no
 * later processor receives the event being handled, and writes made after it are dropped.
 * {@link #onClose} reaches every processor exactly once, in chain order, whatever happened.
 */
public final class ProcessorChain implements ExchangeProcessor {
  private static final Logger log = LoggerFactory.getLogger(ProcessorChain.class);

  private final List<ExchangeHandler> handlers;
  private final DirectionChain request;
  private final DirectionChain response;
  private volatile boolean ended;

  private ProcessorChain(List<ExchangeHandler> handlers) {
    this.handlers = handlers;
    this.request = new DirectionChain(Direction.REQUEST);
    this.response = new DirectionChain(Direction.RESPONSE);
  }

  /**
   * Returns a chain of {@code processors}, first to last.
   *
   * @throws IllegalArgumentException when {@code processors} is empty
   */
  public static ProcessorChain of(List<? extends ExchangeHandler> processors) {
    requireNonNull(processors, "processors");
    if (processors.isEmpty()) {
      throw new IllegalArgumentException("processors: [] (expected: at least one processor)");
    }
    List<ExchangeHandler> copy = new ArrayList<>(processors.size());
    for (ExchangeHandler processor : processors) {
      copy.add(requireNonNull(processor, "processors element"));
    }
    return new ProcessorChain(List.copyOf(copy));
  }

  /**
   * Returns a factory that makes, for each exchange, a chain of one handler from each of {@code
   * factories}, in order. With a single factory, returns that factory itself.
   *
   * @throws IllegalArgumentException when {@code factories} is empty
   */
  public static ProcessorFactory factory(List<? extends ProcessorFactory> factories) {
    requireNonNull(factories, "factories");
    if (factories.isEmpty()) {
      throw new IllegalArgumentException("factories: [] (expected: at least one factory)");
    }
    List<ProcessorFactory> copy = List.copyOf(factories);
    if (copy.size() == 1) {
      return copy.get(0);
    }
    return exchange -> {
      List<ExchangeHandler> made = new ArrayList<>(copy.size());
      for (ProcessorFactory factory : copy) {
        made.add(requireNonNull(factory.newProcessor(exchange), "processor made by " + factory));
      }
      return new ProcessorChain(List.copyOf(made));
    };
  }

  /** Returns the handlers of this chain, first to last. */
  public List<ExchangeHandler> processors() {
    return handlers;
  }

  @Override
  public DirectionProcessor request() {
    return request;
  }

  @Override
  public DirectionProcessor response() {
    return response;
  }

  /** True when every processor of the direction borrows chunks: a chunk reaches the last one within its stage. */
  @Override
  public boolean borrowsChunks(Direction direction) {
    return chain(direction).borrowsChunks();
  }

  @Override
  public boolean holdsBack(Direction direction) {
    return chain(direction).holdsBack();
  }

  @Override
  public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
    return chain(ctx.direction()).onHeaders(ctx, headers, endOfStream);
  }

  @Override
  public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
    return chain(ctx.direction()).onBody(ctx, chunk, false);
  }

  @Override
  public CompletionStage<Void> onEnd(MessageContext ctx) {
    return chain(ctx.direction()).onEnd(ctx);
  }

  @Override
  public CompletionStage<Void> onTrailers(MessageContext ctx, HttpHeaders trailers) {
    return chain(ctx.direction()).onTrailers(ctx, trailers);
  }

  @Override
  public void onClose(ExchangeOutcome outcome) {
    for (ExchangeHandler handler : handlers) {
      try {
        handler.onClose(outcome);
      } catch (RuntimeException e) {
        // onClose must not throw; one misbehaving processor must not keep the others from cleaning up.
        log.warn("processor={} onClose failed", handler.getClass().getName(), e);
      }
    }
  }

  @Override
  public String toString() {
    return "ProcessorChain" + handlers;
  }

  private DirectionChain chain(Direction direction) {
    return direction == Direction.REQUEST ? request : response;
  }

  private static CompletionStage<Void> call(Supplier<CompletionStage<Void>> event) {
    try {
      CompletionStage<Void> stage = event.get();
      return stage != null ? stage : Processing.failed(new NullPointerException("processor returned a null stage"));
    } catch (RuntimeException | Error e) {
      return Processing.failed(e);
    }
  }

  private interface Event {
    CompletionStage<Void> run(int index);
  }

  /** One direction's processors, first to last, as one {@link DirectionProcessor}. */
  private final class DirectionChain implements DirectionProcessor {
    private final Direction direction;
    private @Nullable List<DirectionProcessor> processors;
    private Link @Nullable [] links;

    DirectionChain(Direction direction) {
      this.direction = direction;
    }

    /** The handlers' processors of this direction, asked for once, on first use. */
    private synchronized List<DirectionProcessor> processors() {
      if (processors == null) {
        List<DirectionProcessor> made = new ArrayList<>(handlers.size());
        for (ExchangeHandler handler : handlers) {
          made.add(requireNonNull(direction == Direction.REQUEST ? handler.request() : handler.response(),
              "processor of " + handler));
        }
        processors = List.copyOf(made);
      }
      return processors;
    }

    @Override
    public boolean holdsBack() {
      for (DirectionProcessor processor : processors()) {
        if (processor.holdsBack()) {
          return true;
        }
      }
      return false;
    }

    @Override
    public boolean borrowsChunks() {
      for (DirectionProcessor processor : processors()) {
        if (!processor.borrowsChunks()) {
          return false;
        }
      }
      return true;
    }

    @Override
    public CompletionStage<Void> onHeaders(DirectionContext ctx, HttpHeaders headers, boolean endOfStream) {
      Link[] chain = linksFor(ctx);
      return eachInOrder(chain, i -> chain[i].processor.onHeaders(chain[i], headers, endOfStream));
    }

    @Override
    public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
      Link[] chain = linksFor(ctx);
      if (ended) {
        return Processing.done();
      }
      return call(() -> chain[0].processor.onBody(chain[0], chunk, last)).thenCompose(v -> drain(chain, 0));
    }

    @Override
    public CompletionStage<Void> onEnd(DirectionContext ctx) {
      Link[] chain = linksFor(ctx);
      return eachInOrder(chain, i -> chain[i].processor.onEnd(chain[i]));
    }

    @Override
    public CompletionStage<Void> onTrailers(DirectionContext ctx, HttpHeaders trailers) {
      Link[] chain = linksFor(ctx);
      return eachInOrder(chain, i -> chain[i].processor.onTrailers(chain[i], trailers));
    }

    @Override
    public String toString() {
      return "ProcessorChain." + direction.label() + processors();
    }

    /** Runs {@code event} on each processor in order, each after the previous one and its writes finished. */
    private CompletionStage<Void> eachInOrder(Link[] chain, Event event) {
      CompletionStage<Void> stage = Processing.done();
      for (int i = 0; i < chain.length; i++) {
        int index = i;
        stage = stage.thenCompose(
            v -> ended ? Processing.done() : call(() -> event.run(index)).thenCompose(w -> drain(chain, index)));
      }
      return stage;
    }

    private synchronized Link[] linksFor(DirectionContext ctx) {
      Link[] chain = links;
      if (chain == null || chain[0].outer != ctx) {
        List<DirectionProcessor> list = processors();
        chain = new Link[list.size()];
        ChainExchange exchange = new ChainExchange(ctx.exchange());
        for (int i = chain.length - 1; i >= 0; i--) {
          chain[i] = new Link(ctx, exchange, list.get(i), i + 1 < chain.length ? chain[i + 1] : null);
        }
        links = chain;
      }
      return chain;
    }
  }

  /** Completes when everything processor {@code from} and those after it wrote went down the chain. */
  private static CompletionStage<Void> drain(Link[] chain, int from) {
    CompletionStage<Void> stage = Processing.done();
    for (int i = from; i < chain.length; i++) {
      Link link = chain[i];
      stage = stage.thenCompose(v -> link.pending());
    }
    return stage;
  }

  /** The context processor {@code i} sees: its writes feed processor {@code i + 1}, or the engine for the last one. */
  private final class Link implements MessageContext {
    private final DirectionContext outer;
    private final ExchangeContext exchange;
    final DirectionProcessor processor;
    private final @Nullable Link next;
    private CompletionStage<Void> tail = Processing.done();

    Link(DirectionContext outer, ExchangeContext exchange, DirectionProcessor processor, @Nullable Link next) {
      this.outer = outer;
      this.exchange = exchange;
      this.processor = processor;
      this.next = next;
    }

    synchronized CompletionStage<Void> pending() {
      return tail;
    }

    @Override public Direction direction() { return outer.direction(); }
    @Override public BodyMode bodyMode() { return outer.bodyMode(); }
    @Override public ExchangeContext exchange() { return exchange; }

    @Override
    public CompletionStage<Void> write(ByteString data) {
      requireNonNull(data, "data");
      if (ended) {
        return Processing.done();
      }
      Link to = next;
      if (to == null) {
        return outer.write(data);
      }
      synchronized (this) {
        if (data.isEmpty()) {
          return tail;
        }
        // Chained on the previous write so the next processor sees one onBody at a time, in order.
        CompletionStage<Void> previous = tail;
        CompletableFuture<Void> done = new CompletableFuture<>();
        previous.whenComplete((v, error) -> {
          if (error != null) {
            done.completeExceptionally(error);
          } else if (ended) {
            done.complete(null);
          } else {
            call(() -> to.processor.onBody(to, data, false)).whenComplete((w, failure) -> {
              if (failure != null) {
                done.completeExceptionally(failure);
              } else {
                done.complete(null);
              }
            });
          }
        });
        tail = done;
        return done;
      }
    }

    @Override
    public CompletionStage<Void> passThrough(ByteString chunk) {
      return next == null ? outer.passThrough(chunk) : write(chunk);
    }

    @Override public void setHeader(String name, String value) { outer.setHeader(name, value); }
    @Override public void appendHeader(String name, String value) { outer.appendHeader(name, value); }
    @Override public void removeHeader(String name) { outer.removeHeader(name); }

    @Override
    public String toString() {
      return "ProcessorChain.Link{" + outer.direction().label() + ", processor=" + processor + "}";
    }
  }

  /** The exchange as the chain's processors see it: an immediate response also stops the chain. */
  private final class ChainExchange implements ExchangeContext {
    private final ExchangeContext outer;

    ChainExchange(ExchangeContext outer) {
      this.outer = outer;
    }

    @Override
    public void respond(ImmediateResponse response) {
      ended = true;
      outer.respond(response);
    }

    @Override public void overrideMode(ProcessingMode mode) { outer.overrideMode(mode); }
    @Override public void setDynamicMetadata(Struct metadata) { outer.setDynamicMetadata(metadata); }
    @Override public void putMetadata(String namespace, String key, @Nullable Object value) { outer.putMetadata(namespace, key, value); }
    @Override public String id() { return outer.id(); }
    @Override public Instant startTime() { return outer.startTime(); }
    @Override public BodyMode initialBodyMode(Direction direction) { return outer.initialBodyMode(direction); }
    @Override public Map<String, Struct> attributes() { return outer.attributes(); }
    @Override public Metadata metadataContext() { return outer.metadataContext(); }
    @Override public ScheduledExecutorService scheduler() { return outer.scheduler(); }
    @Override public String toString() { return outer.toString(); }
  }
}
