package dev.extproc.conformance;

import static dev.extproc.conformance.Wire.body;
import static dev.extproc.conformance.Wire.first;
import static dev.extproc.conformance.Wire.headers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.extproc.Direction;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExchangeProcessor;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcConfig.ProcessorErrorPolicy;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import dev.extproc.MessageContext;
import dev.extproc.Processing;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.Headers;
import dev.extproc.testing.HttpMessage;
import dev.extproc.testing.RawStream;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What processors do, in the modes where it matters, in both directions: replace bodies, write
 * from another thread, mutate headers and trailers, answer immediately, throw, and get cancelled.
 */
@Timeout(60)
class ProcessorBehaviourTest {
  private final ExecutorService otherThread = Executors.newSingleThreadExecutor();
  private final List<ExchangeOutcome> closes = new CopyOnWriteArrayList<>();

  @AfterEach
  void stopThread() {
    otherThread.shutdownNow();
  }

  private static final BodySendMode[] PROCESSING_MODES = {
    BodySendMode.STREAMED, BodySendMode.BUFFERED, BodySendMode.FULL_DUPLEX_STREAMED
  };

  static Stream<Arguments> directionsAndModes() {
    return Stream.of(Direction.values())
        .flatMap(d -> Stream.of(PROCESSING_MODES).map(m -> Arguments.of(d, m)));
  }

  private static Exchange.Builder exchange(Direction direction, BodySendMode mode, BodySource body, Headers trailers) {
    Exchange.Builder exchange = Exchange.builder().trailerMode(HeaderSendMode.SEND).chunkSize(1000);
    if (direction == Direction.REQUEST) {
      exchange.requestBodyMode(mode).requestBody(body).requestTrailers(trailers);
    } else {
      exchange.responseBodyMode(mode).responseBody(body).responseTrailers(trailers);
    }
    return exchange;
  }

  private static HttpMessage processed(Direction direction, ExchangeResult result) {
    return direction == Direction.REQUEST ? result.upstream() : result.client();
  }

  /** Wraps a processor so that onClose outcomes are recorded. */
  private ExchangeProcessor recorded(ExchangeProcessor processor) {
    return new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        return processor.onHeaders(ctx, headers, endOfStream);
      }

      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        return processor.onBody(ctx, chunk);
      }

      @Override
      public CompletionStage<Void> onEnd(MessageContext ctx) {
        return processor.onEnd(ctx);
      }

      @Override
      public CompletionStage<Void> onTrailers(MessageContext ctx, HttpHeaders trailers) {
        return processor.onTrailers(ctx, trailers);
      }

      @Override
      public void onClose(ExchangeOutcome outcome) {
        closes.add(outcome);
        processor.onClose(outcome);
      }
    };
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("directionsAndModes")
  void replacingProcessor_outputSizeDiffersFromInput(Direction direction, BodySendMode mode) {
    for (int replacementSize : new int[] {0, 3, 200 * 1024}) {
      ByteString replacement = ByteString.copyFrom(new byte[replacementSize]).concat(ByteString.copyFromUtf8("!"));
      try (Engine engine = Engine.start(exchange -> new TestProcessors.ReplacingProcessor(replacement))) {
        ExchangeResult result = engine.run(exchange(direction, mode, BodySource.random(10_000, 5), null).build());

        assertThat(result.status()).as(result.summary()).isEqualTo(200);
        assertThat(processed(direction, result).body().bytes()).contains(replacement);
      }
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("directionsAndModes")
  void processorWritingFromAnotherThreadLater_asynchronousStage(Direction direction, BodySendMode mode) {
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        return CompletableFuture.runAsync(() -> ctx.setHeader("x-async", "1"), otherThread);
      }

      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        return CompletableFuture.supplyAsync(() -> TestProcessors.xor(chunk), otherThread).thenCompose(ctx::write);
      }
    };
    BodySource body = BodySource.random(100_000, 6);
    try (Engine engine = Engine.start(exchange -> processor)) {
      ExchangeResult result = engine.run(exchange(direction, mode, body, Headers.of("x-t", "1")).build());

      assertThat(processed(direction, result).headers().get("x-async")).isEqualTo("1");
      assertThat(processed(direction, result).body().digest()).isEqualTo(TestProcessors.xorDigest(body));
      assertThat(processed(direction, result).trailers()).isEqualTo(Headers.of("x-t", "1"));
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("directionsAndModes")
  void headerAndTrailerMutations_sentAsRawValues(Direction direction, BodySendMode mode) {
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        ctx.setHeader("x-set", "new");
        ctx.appendHeader("x-multi", "two");
        ctx.removeHeader("x-remove");
        return Processing.done();
      }

      @Override
      public CompletionStage<Void> onTrailers(MessageContext ctx, HttpHeaders trailers) {
        ctx.setHeader("x-trailer-set", trailers.get("x-t") + "+");
        ctx.removeHeader("x-t");
        return Processing.done();
      }
    };
    Headers headers = direction == Direction.REQUEST
        ? Headers.of(":method", "POST", ":path", "/", "x-set", "old", "x-multi", "one", "x-remove", "1")
        : Headers.of(":status", "200", "x-set", "old", "x-multi", "one", "x-remove", "1");
    try (Engine engine = Engine.start(exchange -> processor)) {
      Exchange.Builder builder = exchange(direction, mode, BodySource.of("body"), Headers.of("x-t", "1"));
      if (direction == Direction.REQUEST) {
        builder.requestHeaders(headers);
      } else {
        builder.responseHeaders(headers);
      }
      ExchangeResult result = engine.run(builder.build());

      HttpMessage message = processed(direction, result);
      assertThat(message.headers().get("x-set")).isEqualTo("new");
      assertThat(message.headers().getAll("x-multi")).containsExactly("one", "two");
      assertThat(message.headers().contains("x-remove")).isFalse();
      assertThat(message.trailers()).isEqualTo(Headers.of("x-trailer-set", "1+"));
      assertThat(message.body().utf8()).isEqualTo("body");
    }
  }

  static Stream<Arguments> immediateCases() {
    return Stream.of(Direction.values()).flatMap(d -> Stream.of(
            BodySendMode.STREAMED, BodySendMode.BUFFERED, BodySendMode.BUFFERED_PARTIAL, BodySendMode.FULL_DUPLEX_STREAMED)
        .flatMap(m -> Stream.of("headers", "body").map(phase -> Arguments.of(d, m, phase))));
  }

  @ParameterizedTest(name = "{0} {1} in {2}")
  @MethodSource("immediateCases")
  void immediateResponse_inHeadersOrMidBody(Direction direction, BodySendMode mode, String phase) {
    ImmediateResponse teapot = ImmediateResponse.of(418, "teapot")
        .withHeaders(dev.extproc.HttpHeaders.of("x-reason", "tea")).withDetails("short and stout");
    ExchangeProcessor processor = new ExchangeProcessor() {
      private int chunks;

      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        if (ctx.direction() == direction && phase.equals("headers")) {
          ctx.respond(teapot);
        }
        return Processing.done();
      }

      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        if (++chunks == 2 || chunk.size() > 1000) {
          ctx.respond(teapot);
          return Processing.done();
        }
        return ctx.write(chunk);
      }
    };
    try (Engine engine = Engine.start(exchange -> recorded(processor))) {
      ExchangeResult result = engine.run(exchange(direction, mode, BodySource.random(5000, 7), null).build());

      assertThat(result.immediateResponse()).isPresent();
      boolean responseHeadersGone = direction == Direction.RESPONSE && phase.equals("body")
          && (mode == BodySendMode.STREAMED || mode == BodySendMode.FULL_DUPLEX_STREAMED);
      if (responseHeadersGone) {
        // Envoy already sent the response headers downstream: it can only reset the stream.
        assertThat(result.downstreamReset()).isTrue();
      } else {
        assertThat(result.status()).isEqualTo(418);
        assertThat(result.client().body().utf8()).isEqualTo("teapot");
        assertThat(result.client().headers().get("x-reason")).isEqualTo("tea");
        assertThat(result.localReplyDetails()).contains("short_and_stout");
      }
      if (direction == Direction.REQUEST && (phase.equals("headers") || mode == BodySendMode.BUFFERED
          || mode == BodySendMode.BUFFERED_PARTIAL)) {
        assertThat(result.upstreamRequest()).isEmpty();
      }
      engine.awaitIdle();
      assertThat(engine.stats().immediateResponses()).isEqualTo(1);
      awaitOnClose(closes);
      assertThat(closes).containsExactly(ExchangeOutcome.IMMEDIATE_RESPONSE);
    }
  }

  static Stream<Arguments> throwCases() {
    return Stream.of(PROCESSING_MODES).flatMap(m -> Stream.of("onHeaders", "onBody", "onEnd", "onTrailers")
        .flatMap(where -> Stream.of(true, false).map(thrown -> Arguments.of(m, where, thrown))));
  }

  private static ExchangeProcessor failing(String where, boolean thrown) {
    RuntimeException error = new IllegalStateException("processor bug in " + where);
    CompletionStage<Void> failed = Processing.failed(error);
    return new ExchangeProcessor() {
      private CompletionStage<Void> fail(String method, CompletionStage<Void> otherwise) {
        if (!method.equals(where)) {
          return otherwise;
        }
        if (thrown) {
          throw error;
        }
        return failed;
      }

      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        return fail("onHeaders", Processing.done());
      }

      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        return fail("onBody", ctx.write(chunk));
      }

      @Override
      public CompletionStage<Void> onEnd(MessageContext ctx) {
        return fail("onEnd", Processing.done());
      }

      @Override
      public CompletionStage<Void> onTrailers(MessageContext ctx, HttpHeaders trailers) {
        return fail("onTrailers", Processing.done());
      }
    };
  }

  @ParameterizedTest(name = "{0} {1} thrown {2}")
  @MethodSource("throwCases")
  void processorThrows_streamFailsWithInternal_clientGets500(BodySendMode mode, String where, boolean thrown) {
    try (Engine engine = Engine.start(exchange -> recorded(failing(where, thrown)))) {
      ExchangeResult result = engine.run(exchange(Direction.REQUEST, mode, BodySource.of("abc"), Headers.of("x-t", "1")).build());

      assertThat(result.grpcStatus().getCode()).as(result.summary()).isEqualTo(Status.Code.INTERNAL);
      assertThat(result.grpcStatus().getDescription()).contains("processor bug in " + where);
      assertThat(result.status()).isEqualTo(500);
      assertThat(result.localReplyDetails()).hasValueSatisfying(d -> assertThat(d).startsWith("ext_proc_error_gRPC_error_13"));
      engine.awaitIdle();
      assertThat(engine.stats().streamsFailed()).isEqualTo(1);
      awaitOnClose(closes);
      assertThat(closes).containsExactly(ExchangeOutcome.PROCESSOR_ERROR);
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"STREAMED, onHeaders", "STREAMED, onBody", "BUFFERED, onBody", "FULL_DUPLEX_STREAMED, onHeaders",
      "FULL_DUPLEX_STREAMED, onEnd"})
  void processorThrows_immediate500Policy_clientGetsImmediate500(BodySendMode mode, String where) {
    ExtProcConfig config = ExtProcConfig.defaults().withProcessorErrorPolicy(ProcessorErrorPolicy.IMMEDIATE_500);
    try (Engine engine = Engine.start(exchange -> recorded(failing(where, true)), config)) {
      ExchangeResult result = engine.run(exchange(Direction.REQUEST, mode, BodySource.of("abc"), null).build());

      assertThat(result.immediateResponse()).as(result.summary()).isPresent();
      assertThat(result.status()).isEqualTo(500);
      engine.awaitIdle();
      awaitOnClose(closes);
      assertThat(closes).hasSize(1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"STREAMED", "BUFFERED", "FULL_DUPLEX_STREAMED"})
  void cancellationByEnvoy_midBody_releasesEverything(BodySendMode mode) {
    CompletableFuture<Void> never = new CompletableFuture<>();
    List<ByteString> received = new CopyOnWriteArrayList<>();
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        received.add(chunk);
        if (mode == BodySendMode.FULL_DUPLEX_STREAMED && received.size() == 1) {
          // Output Envoy never reads: it stays held by the engine until the cancel.
          ctx.write(chunk);
          ctx.write(chunk);
          return Processing.done();
        }
        return never;
      }
    };
    try (Engine engine = Engine.start(exchange -> recorded(processor))) {
      try (RawStream raw = engine.envoy.openRaw()) {
        raw.send(first(headers(Direction.REQUEST, false), mode));
        raw.nextReply();
        ByteString chunk = ByteString.copyFrom(new byte[64 * 1024]);
        for (int i = 0; i < 3; i++) {
          raw.send(body(Direction.REQUEST, chunk, false));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !received.isEmpty());
        // Unanswered input (STREAMED, BUFFERED) or unread output (FULL_DUPLEX_STREAMED) is held.
        await().atMost(Duration.ofSeconds(10)).until(() -> engine.stats().bytesHeld() > 0);
        raw.cancel();
      }
      engine.awaitIdle();
      awaitOnClose(closes);
      assertThat(closes).containsExactly(ExchangeOutcome.CANCELLED);
      assertThat(engine.stats().streamsCancelled()).isEqualTo(1);
    }
  }

  /** Waits for onClose: a stream leaves activeStreams just before its processor's onClose runs. */
  private static void awaitOnClose(java.util.List<?> recorded) {
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .pollInterval(java.time.Duration.ofMillis(5)).until(() -> !recorded.isEmpty());
  }
}
