package dev.extproc;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Composes processors, in order, into one {@link ExchangeProcessor}: the output of processor
 * {@code i} (what it {@link MessageContext#write writes}) is the input of processor {@code i + 1}
 * (its {@link ExchangeProcessor#onBody} calls), and the output of the last processor is the body
 * Envoy receives.
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
 * <p><b>Immediate responses.</b> An immediate response from any processor ends the exchange: no
 * later processor receives the event being handled, and writes made after it are dropped.
 * {@link #onClose} reaches every processor exactly once, in chain order, whatever happened.
 */
public final class ProcessorChain implements ExchangeProcessor {
  private static final Logger log = LoggerFactory.getLogger(ProcessorChain.class);

  private final List<ExchangeProcessor> processors;
  private final Map<Direction, Link[]> links = new EnumMap<>(Direction.class);
  private volatile boolean ended;

  private ProcessorChain(List<ExchangeProcessor> processors) {
    this.processors = processors;
  }

  /**
   * Returns a chain of {@code processors}, first to last.
   *
   * @throws IllegalArgumentException when {@code processors} is empty
   */
  public static ProcessorChain of(List<? extends ExchangeProcessor> processors) {
    requireNonNull(processors, "processors");
    if (processors.isEmpty()) {
      throw new IllegalArgumentException("processors: [] (expected: at least one processor)");
    }
    List<ExchangeProcessor> copy = new ArrayList<>(processors.size());
    for (ExchangeProcessor processor : processors) {
      copy.add(requireNonNull(processor, "processors element"));
    }
    return new ProcessorChain(List.copyOf(copy));
  }

  /**
   * Returns a factory that makes, for each exchange, a chain of one processor from each of {@code
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
      List<ExchangeProcessor> made = new ArrayList<>(copy.size());
      for (ProcessorFactory factory : copy) {
        made.add(dev.extproc.internal.LegacyBridge.asProcessor(
            requireNonNull(factory.newProcessor(exchange), "processor made by " + factory)));
      }
      return new ProcessorChain(List.copyOf(made));
    };
  }

  /** Returns the processors of this chain, first to last. */
  public List<ExchangeProcessor> processors() {
    return processors;
  }

  @Override
  public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
    Link[] chain = linksFor(ctx);
    return eachInOrder(chain, i -> processors.get(i).onHeaders(chain[i], headers, endOfStream));
  }

  @Override
  public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
    Link[] chain = linksFor(ctx);
    if (ended) {
      return Processing.done();
    }
    return call(() -> processors.get(0).onBody(chain[0], chunk)).thenCompose(v -> drain(chain, 0));
  }

  @Override
  public CompletionStage<Void> onEnd(MessageContext ctx) {
    Link[] chain = linksFor(ctx);
    return eachInOrder(chain, i -> processors.get(i).onEnd(chain[i]));
  }

  @Override
  public CompletionStage<Void> onTrailers(MessageContext ctx, HttpHeaders trailers) {
    Link[] chain = linksFor(ctx);
    return eachInOrder(chain, i -> processors.get(i).onTrailers(chain[i], trailers));
  }

  @Override
  public void onClose(ExchangeOutcome outcome) {
    for (ExchangeProcessor processor : processors) {
      try {
        processor.onClose(outcome);
      } catch (RuntimeException e) {
        // onClose must not throw; one misbehaving processor must not keep the others from cleaning up.
        log.warn("processor={} onClose failed", processor.getClass().getName(), e);
      }
    }
  }

  private interface Event {
    CompletionStage<Void> run(int index);
  }

  /** Runs {@code event} on each processor in order, each after the previous one and its writes finished. */
  private CompletionStage<Void> eachInOrder(Link[] chain, Event event) {
    CompletionStage<Void> stage = Processing.done();
    for (int i = 0; i < processors.size(); i++) {
      int index = i;
      stage =
          stage.thenCompose(
              v -> ended ? Processing.done() : call(() -> event.run(index)).thenCompose(w -> drain(chain, index)));
    }
    return stage;
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

  private static CompletionStage<Void> call(Supplier<CompletionStage<Void>> event) {
    try {
      CompletionStage<Void> stage = event.get();
      return stage != null ? stage : Processing.failed(new NullPointerException("processor returned a null stage"));
    } catch (RuntimeException | Error e) {
      return Processing.failed(e);
    }
  }

  private synchronized Link[] linksFor(MessageContext ctx) {
    Link[] chain = links.get(ctx.direction());
    if (chain == null || chain[0].outer != ctx) {
      chain = new Link[processors.size()];
      for (int i = chain.length - 1; i >= 0; i--) {
        chain[i] = new Link(ctx, i + 1 < chain.length ? processors.get(i + 1) : null, i + 1 < chain.length ? chain[i + 1] : null);
      }
      links.put(ctx.direction(), chain);
    }
    return chain;
  }

  /** The context processor {@code i} sees: its writes feed processor {@code i + 1}, or Envoy for the last one. */
  private final class Link implements MessageContext {
    private final MessageContext outer;
    private final ExchangeProcessor next;
    private final Link nextLink;
    private CompletionStage<Void> tail = Processing.done();

    Link(MessageContext outer, ExchangeProcessor next, Link nextLink) {
      this.outer = outer;
      this.next = next;
      this.nextLink = nextLink;
    }

    synchronized CompletionStage<Void> pending() {
      return tail;
    }

    @Override
    public Direction direction() {
      return outer.direction();
    }

    @Override
    public BodyMode bodyMode() {
      return outer.bodyMode();
    }

    @Override
    public ExchangeContext exchange() {
      return outer.exchange();
    }

    @Override
    public CompletionStage<Void> write(ByteString data) {
      requireNonNull(data, "data");
      if (ended) {
        return Processing.done();
      }
      if (next == null) {
        return outer.write(data);
      }
      synchronized (this) {
        if (data.isEmpty()) {
          return tail;
        }
        // Chained on the previous write so the next processor sees one onBody at a time, in order.
        CompletionStage<Void> previous = tail;
        CompletableFuture<Void> done = new CompletableFuture<>();
        previous.whenComplete(
            (v, error) -> {
              if (error != null) {
                done.completeExceptionally(error);
              } else if (ended) {
                done.complete(null);
              } else {
                call(() -> next.onBody(nextLink, data))
                    .whenComplete(
                        (w, failure) -> {
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
    public void setHeader(String name, String value) {
      outer.setHeader(name, value);
    }

    @Override
    public void appendHeader(String name, String value) {
      outer.appendHeader(name, value);
    }

    @Override
    public void removeHeader(String name) {
      outer.removeHeader(name);
    }

    @Override
    public void respond(ImmediateResponse response) {
      ended = true;
      outer.respond(response);
    }

    @Override
    public void overrideMode(ProcessingMode mode) {
      outer.overrideMode(mode);
    }

    @Override
    public void setDynamicMetadata(Struct metadata) {
      outer.setDynamicMetadata(metadata);
    }

    @Override
    public String toString() {
      return "ProcessorChain.Link{" + outer.direction().label() + ", next=" + next + "}";
    }
  }
}
