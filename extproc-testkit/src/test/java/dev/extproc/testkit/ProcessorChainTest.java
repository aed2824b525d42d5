package dev.extproc.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExchangeProcessor;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import dev.extproc.MessageContext;
import dev.extproc.PassthroughProcessor;
import dev.extproc.Processing;
import dev.extproc.ProcessorChain;
import dev.extproc.ProcessorFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link ProcessorChain} driven directly, event by event, on a {@link RecordingDirectionContext}:
 * the test holds the context, so it decides when the engine's write stage completes.
 */
class ProcessorChainTest {

  /** Records its events into a shared log and applies a transformation to each chunk. */
  private static class Step implements ExchangeProcessor {
    final String name;
    final List<String> log;
    int closes;

    Step(String name, List<String> log) {
      this.name = name;
      this.log = log;
    }

    ByteString transform(ByteString chunk) {
      return chunk;
    }

    @Override
    public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
      log.add(name + ".headers");
      ctx.setHeader("x-step", name);
      return Processing.done();
    }

    @Override
    public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
      log.add(name + ".body:" + chunk.toStringUtf8());
      return ctx.write(transform(chunk));
    }

    @Override
    public CompletionStage<Void> onEnd(MessageContext ctx) {
      log.add(name + ".end");
      return Processing.done();
    }

    @Override
    public CompletionStage<Void> onTrailers(MessageContext ctx, HttpHeaders trailers) {
      log.add(name + ".trailers");
      return Processing.done();
    }

    @Override
    public void onClose(ExchangeOutcome outcome) {
      closes++;
      log.add(name + ".close:" + outcome);
    }
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static void await(CompletionStage<Void> stage) throws Exception {
    stage.toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void outputOfEachProcessorIsInputOfTheNext() throws Exception {
    List<String> log = new ArrayList<>();
    Step upper =
        new Step("upper", log) {
          @Override
          ByteString transform(ByteString chunk) {
            return utf8(chunk.toStringUtf8().toUpperCase(Locale.ROOT));
          }
        };
    Step doubler =
        new Step("double", log) {
          @Override
          ByteString transform(ByteString chunk) {
            return chunk.concat(chunk);
          }
        };
    ProcessorChain chain = ProcessorChain.of(List.of(upper, doubler));
    RecordingDirectionContext ctx = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);

    await(chain.onHeaders(ctx, HttpHeaders.empty(), false));
    await(chain.onBody(ctx, utf8("ab")));
    await(chain.onBody(ctx, utf8("c")));
    await(chain.onEnd(ctx));
    chain.onClose(ExchangeOutcome.COMPLETED);

    assertThat(ctx.output().toStringUtf8()).isEqualTo("ABABCC");
    assertThat(log)
        .containsExactly(
            "upper.headers", "double.headers",
            "upper.body:ab", "double.body:AB",
            "upper.body:c", "double.body:C",
            "upper.end", "double.end",
            "upper.close:COMPLETED", "double.close:COMPLETED");
  }

  @Test
  void headerMutationsAccumulateInChainOrder() throws Exception {
    List<String> log = new ArrayList<>();
    ProcessorChain chain = ProcessorChain.of(List.of(new Step("a", log), new Step("b", log)));
    RecordingDirectionContext ctx = new RecordingDirectionContext(Direction.RESPONSE, BodyMode.BUFFERED);

    await(chain.onHeaders(ctx, HttpHeaders.empty(), false));

    assertThat(ctx.events()).containsExactly("set:x-step=a", "set:x-step=b");
  }

  @Test
  void tailWrittenInOnEnd_reachesNextProcessorBeforeItsOnEnd() throws Exception {
    List<String> log = new ArrayList<>();
    Step appender =
        new Step("append", log) {
          @Override
          public CompletionStage<Void> onEnd(MessageContext ctx) {
            log.add("append.end");
            return ctx.write(utf8("tail"));
          }
        };
    Step after = new Step("after", log);
    ProcessorChain chain = ProcessorChain.of(List.of(appender, after));
    RecordingDirectionContext ctx = new RecordingDirectionContext(Direction.REQUEST, BodyMode.FULL_DUPLEX_STREAMED);

    await(chain.onHeaders(ctx, HttpHeaders.empty(), true));
    await(chain.onEnd(ctx));

    assertThat(ctx.output().toStringUtf8()).isEqualTo("tail");
    assertThat(log).containsSubsequence("append.end", "after.body:tail", "after.end");
  }

  @Test
  void writesIssuedWithoutWaiting_reachTheNextProcessorOneAtATimeInOrder() throws Exception {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    Step burst =
        new Step("burst", log) {
          @Override
          public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
            CompletionStage<Void> last = Processing.done();
            for (int i = 0; i < 3; i++) {
              last = ctx.write(utf8(chunk.toStringUtf8() + i));
            }
            return last;
          }
        };
    List<CompletableFuture<Void>> slowStages = new ArrayList<>();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    Step slow =
        new Step("slow", log) {
          @Override
          public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            CompletableFuture<Void> stage = new CompletableFuture<>();
            slowStages.add(stage);
            return stage.thenCompose(v -> {
              inFlight.decrementAndGet();
              return ctx.write(chunk);
            });
          }
        };
    ProcessorChain chain = ProcessorChain.of(List.of(burst, slow));
    RecordingDirectionContext ctx = new RecordingDirectionContext(Direction.REQUEST, BodyMode.FULL_DUPLEX_STREAMED);

    CompletionStage<Void> body = chain.onBody(ctx, utf8("x"));
    for (int i = 0; i < 3; i++) {
      assertThat(body.toCompletableFuture()).isNotDone();
      assertThat(slowStages).hasSize(i + 1);
      slowStages.get(i).complete(null);
    }
    await(body);

    assertThat(maxInFlight).hasValue(1);
    assertThat(ctx.output().toStringUtf8()).isEqualTo("x0x1x2");
  }

  @Test
  void writeStageOfLastProcessor_isTheEnginesStage() {
    CompletableFuture<Void> engineRoom = new CompletableFuture<>();
    List<String> log = new ArrayList<>();
    ProcessorChain chain = ProcessorChain.of(List.of(new Step("a", log), new Step("b", log)));
    RecordingDirectionContext ctx = new RecordingDirectionContext(Direction.REQUEST, BodyMode.FULL_DUPLEX_STREAMED).writeStages(() -> engineRoom);

    CompletionStage<Void> body = chain.onBody(ctx, utf8("x"));

    assertThat(body.toCompletableFuture()).isNotDone();
    engineRoom.complete(null);
    assertThat(body.toCompletableFuture()).isCompleted();
  }

  @Test
  void immediateResponse_stopsLaterProcessors_andEveryProcessorIsClosedOnce() throws Exception {
    List<String> log = new ArrayList<>();
    Step refuser =
        new Step("refuse", log) {
          @Override
          public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
            log.add("refuse.headers");
            ctx.respond(ImmediateResponse.of(403));
            return Processing.done();
          }
        };
    Step first = new Step("first", log);
    Step last = new Step("last", log);
    ProcessorChain chain = ProcessorChain.of(List.of(first, refuser, last));
    RecordingDirectionContext ctx = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);

    await(chain.onHeaders(ctx, HttpHeaders.empty(), false));
    chain.onClose(ExchangeOutcome.IMMEDIATE_RESPONSE);

    assertThat(log).doesNotContain("last.headers");
    assertThat(ctx.responses()).hasSize(1);
    assertThat(first.closes).isEqualTo(1);
    assertThat(refuser.closes).isEqualTo(1);
    assertThat(last.closes).isEqualTo(1);
  }

  @Test
  void failingProcessor_failsTheEvent() {
    List<String> log = new ArrayList<>();
    Step broken =
        new Step("broken", log) {
          @Override
          public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
            throw new IllegalStateException("boom");
          }
        };
    ProcessorChain chain = ProcessorChain.of(List.of(new Step("a", log), broken));
    RecordingDirectionContext ctx = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);

    assertThat(chain.onBody(ctx, utf8("x")).toCompletableFuture())
        .failsWithin(5, TimeUnit.SECONDS)
        .withThrowableOfType(Exception.class)
        .withRootCauseInstanceOf(IllegalStateException.class);
  }

  @Test
  void closeThatThrows_doesNotKeepOthersFromClosing() {
    List<String> log = new ArrayList<>();
    Step throwing =
        new Step("throwing", log) {
          @Override
          public void onClose(ExchangeOutcome outcome) {
            throw new IllegalStateException("boom");
          }
        };
    Step other = new Step("other", log);
    ProcessorChain.of(List.of(throwing, other)).onClose(ExchangeOutcome.CANCELLED);

    assertThat(other.closes).isEqualTo(1);
  }

  @Test
  void emptyChain_isRefused() {
    assertThatThrownBy(() -> ProcessorChain.of(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: at least one processor");
  }

  @Test
  void factoryOfOne_isThatFactory() {
    ProcessorFactory only = PassthroughProcessor.factory();
    assertThat(ProcessorChain.factory(List.of(only))).isSameAs(only);
  }
}
