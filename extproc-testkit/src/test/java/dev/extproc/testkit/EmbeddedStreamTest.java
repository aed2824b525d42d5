package dev.extproc.testkit;

import static dev.extproc.testkit.EnvoyMessages.modes;
import static dev.extproc.testkit.EnvoyMessages.requestBody;
import static dev.extproc.testkit.EnvoyMessages.requestHeaders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExtProcService;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class EmbeddedStreamTest {
  @RegisterExtension final ExtProcExtension extproc = new ExtProcExtension();

  /** Upper-cases every chunk. */
  private static final DirectionProcessor UPPER = new DirectionProcessor() {
    @Override
    public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
      return ctx.write(ByteString.copyFromUtf8(chunk.toStringUtf8().toUpperCase()));
    }
  };

  @Test
  void feedsEventsAndReadsTheRepliesTheEngineSends() {
    EmbeddedStream stream = extproc.embedded(exchange -> ExchangeHandler.of(UPPER, new DirectionProcessor() {}));

    stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.NONE), false, ":path", "/"));
    assertThat(stream.awaitReply().hasRequestHeaders()).isTrue();
    stream.send(requestBody("hello", true));
    ProcessingResponse body = stream.awaitReply();

    assertThat(body.getRequestBody().getResponse().getBodyMutation().getBody().toStringUtf8()).isEqualTo("HELLO");
    assertThat(stream.poll()).isNull();
  }

  @Test
  void deliversAMessageOnlyOnceTheEngineRequestedIt() {
    CompletableFuture<Void> headersDone = new CompletableFuture<>();
    DirectionProcessor slow = new DirectionProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(DirectionContext ctx, dev.extproc.HttpHeaders headers, boolean endOfStream) {
        return headersDone;
      }
    };
    EmbeddedStream stream = extproc.embedded(exchange -> ExchangeHandler.of(slow, new DirectionProcessor() {}));

    stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.NONE), false), requestBody("a", false));
    assertThat(stream.requestCalls()).containsExactly(1);
    assertThat(stream.pendingInbound()).isEqualTo(1);
    assertThat(stream.poll()).isNull();

    headersDone.complete(null);
    assertThat(stream.awaitReply().hasRequestHeaders()).isTrue();
    assertThat(stream.awaitReply().hasRequestBody()).isTrue();
    assertThat(stream.pendingInbound()).isZero();
  }

  @Test
  void holdsRepliesWhileNotReadyAndSendsThemWhenReadyAgain() {
    EmbeddedStream stream = extproc.embedded(exchange -> ExchangeHandler.of(new DirectionProcessor() {}, new DirectionProcessor() {}));
    stream.setReady(false);

    stream.send(requestHeaders(modes(BodySendMode.NONE, BodySendMode.NONE), true));
    assertThat(stream.poll()).isNull();

    stream.setReady(true);
    assertThat(stream.awaitReply().hasRequestHeaders()).isTrue();
  }

  @Test
  void manualSchedulerRunsTimersOnlyWhenTheClockIsAdvanced() {
    ManualScheduler scheduler = extproc.manualScheduler();
    DirectionProcessor delayed = new DirectionProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(DirectionContext ctx, dev.extproc.HttpHeaders headers, boolean endOfStream) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        ctx.exchange().scheduler().schedule(() -> done.complete(null), 5, TimeUnit.SECONDS);
        return done;
      }
    };
    EmbeddedStream stream = extproc.embedded(exchange -> ExchangeHandler.of(delayed, new DirectionProcessor() {}));

    stream.send(requestHeaders(modes(BodySendMode.NONE, BodySendMode.NONE), true));
    scheduler.advance(Duration.ofMillis(4_999));
    assertThat(stream.poll()).isNull();
    scheduler.advance(Duration.ofMillis(1));
    assertThat(stream.awaitReply().hasRequestHeaders()).isTrue();
    assertThat(scheduler.nanoTime()).isEqualTo(TimeUnit.SECONDS.toNanos(5));
  }

  @Test
  void cancelClosesTheExchangeOnce() {
    List<ExchangeOutcome> closes = new CopyOnWriteArrayList<>();
    ExtProcService service = ExtProcService.builder(exchange -> new ExchangeHandler() {
          @Override
          public DirectionProcessor request() {
            return new DirectionProcessor() {};
          }

          @Override
          public DirectionProcessor response() {
            return new DirectionProcessor() {};
          }

          @Override
          public void onClose(ExchangeOutcome outcome) {
            closes.add(outcome);
          }
        })
        .scheduler(extproc.manualScheduler())
        .build();
    EmbeddedStream stream = extproc.embedded(service);

    stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.NONE), false));
    stream.awaitReply();
    stream.cancel();

    assertThat(closes).containsExactly(ExchangeOutcome.CANCELLED);
    assertThat(service.stats().activeStreams()).isZero();
    assertThat(stream.status()).isNull(); // the engine never closed it: Envoy did
  }

  @Test
  void bytesThatDoNotParseGoThroughTheServicesOwnMarshaller() {
    EmbeddedStream stream = extproc.embedded(exchange -> ExchangeHandler.of(new DirectionProcessor() {}, new DirectionProcessor() {}));

    stream.sendRaw(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});

    Status status = stream.awaitClose();
    assertThat(status.isOk()).isFalse();
    assertThatThrownBy(stream::awaitReply).isInstanceOf(AssertionError.class).hasMessageContaining("closed");
  }
}
