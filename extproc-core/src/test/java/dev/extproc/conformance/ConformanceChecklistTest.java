package dev.extproc.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.ExchangeProcessor;
import dev.extproc.ExtProcConfig;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import dev.extproc.MessageContext;
import dev.extproc.PassthroughProcessor;
import dev.extproc.Processing;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.CloseMode;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.Framing;
import dev.extproc.testing.Headers;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The scenarios of the conformance checklist (docs/protocol.md §6) that apply to a
 * server, each named after Envoy's test, run against the engine through FakeEnvoy.
 */
@Timeout(60)
class ConformanceChecklistTest {
  private final ExecutorService otherThread = Executors.newSingleThreadExecutor();

  @AfterEach
  void stopThread() {
    otherThread.shutdownNow();
  }

  private static Exchange.Builder post(BodySendMode mode, BodySource body) {
    return Exchange.builder().requestBodyMode(mode).requestBody(body);
  }

  private static List<ProcessingRequest> bodyMessages(ExchangeResult result) {
    return result.sent().stream().filter(ProcessingRequest::hasRequestBody).toList();
  }

  // 5
  @ParameterizedTest(name = "{0}")
  @CsvSource({"BUFFERED", "STREAMED"})
  void bufferBodyOverridePostWithEmptyBody(BodySendMode mode) {
    try (Engine engine = Engine.start(PassthroughProcessor.factory())) {
      ExchangeResult result = engine.run(post(mode, BodySource.empty()).build());

      assertThat(result.sent().get(0).getRequestHeaders().getEndOfStream()).isFalse();
      assertThat(bodyMessages(result)).singleElement().satisfies(body -> {
        assertThat(body.getRequestBody().getBody().isEmpty()).isTrue();
        assertThat(body.getRequestBody().getEndOfStream()).isTrue();
      });
      assertThat(result.upstream().body().length()).isZero();
      assertThat(result.status()).isEqualTo(200);
    }
  }

  // 6
  @Test
  void bufferBodyOverrideGetRequestNoBody() {
    try (Engine engine = Engine.start(PassthroughProcessor.factory())) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(BodySendMode.BUFFERED)
          .requestHeaders(Headers.of(":method", "GET", ":path", "/")).build());

      assertThat(result.sent().get(0).getRequestHeaders().getEndOfStream()).isTrue();
      assertThat(bodyMessages(result)).isEmpty();
      assertThat(result.status()).isEqualTo(200);
    }
  }

  // 7
  @Test
  void getBufferedButNoBodies() {
    try (Engine engine = Engine.start(PassthroughProcessor.factory())) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(BodySendMode.BUFFERED)
          .requestHeaders(Headers.of(":method", "GET", ":path", "/"))
          .responseHeaders(Headers.of(":status", "200", "content-length", "0")).build());

      assertThat(result.messagesSent()).isEqualTo(2);
      assertThat(result.sent()).allMatch(m -> m.hasRequestHeaders() || m.hasResponseHeaders());
      assertThat(result.client().headers().get("content-length")).isEqualTo("0");
    }
  }

  // 8
  @Test
  void bufferedModeOverSizeRequestLocalReply() {
    try (Engine engine = Engine.start(PassthroughProcessor.factory())) {
      ExchangeResult result = engine.run(post(BodySendMode.BUFFERED, BodySource.random(4 * 1024 * 1024, 8)).build());

      assertThat(result.status()).isEqualTo(413);
      assertThat(bodyMessages(result)).isEmpty();
      assertThat(result.upstreamRequest()).isEmpty();
    }
  }

  // 9
  @Test
  void mismatchedContentLengthAndBodyLength_engineKeepsContentLengthOfReplacedBufferedBody() {
    ByteString replacement = ByteString.copyFromUtf8("a longer replacement body");
    try (Engine engine = Engine.start(exchange -> new TestProcessors.ReplacingProcessor(replacement))) {
      ExchangeResult result = engine.run(post(BodySendMode.BUFFERED, BodySource.of("short")).build());

      assertThat(result.status()).as(result.summary()).isEqualTo(200);
      assertThat(result.upstream().body().bytes()).contains(replacement);
      assertThat(result.upstream().headers().get("content-length")).isEqualTo(Integer.toString(replacement.size()));
    }
  }

  // 10
  @ParameterizedTest(name = "{0}")
  @CsvSource({"NONE", "BUFFERED", "STREAMED"})
  void convertGetToPost_bodyWrittenOnHeadersEndIsInsertedWithContinueAndReplace(BodySendMode mode) {
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onEnd(MessageContext ctx) {
        return ctx.direction() == dev.extproc.Direction.REQUEST
            ? ctx.write(ByteString.copyFromUtf8("inserted")) : Processing.done();
      }
    };
    try (Engine engine = Engine.start(exchange -> processor)) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(mode)
          .requestHeaders(Headers.of(":method", "GET", ":path", "/")).build());

      assertThat(result.upstream().body().utf8()).isEqualTo("inserted");
      assertThat(bodyMessages(result)).isEmpty();
      assertThat(result.received().get(0).getRequestHeaders().getResponse().getStatus().name())
          .isEqualTo("CONTINUE_AND_REPLACE");
    }
  }

  // 12
  @Test
  void getAndRespondImmediatelyOnStreamedRequestBody() {
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        ctx.setHeader("x-from-headers", "1");
        return Processing.done();
      }

      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        ctx.respond(ImmediateResponse.of(400, "bad body"));
        return Processing.done();
      }
    };
    try (Engine engine = Engine.start(exchange -> processor)) {
      ExchangeResult result = engine.run(post(BodySendMode.STREAMED, BodySource.of("payload")).build());

      assertThat(result.status()).isEqualTo(400);
      assertThat(result.client().body().utf8()).isEqualTo("bad body");
      assertThat(result.client().headers().contains("x-from-headers")).isFalse();
      assertThat(engine.stats().immediateResponses()).isEqualTo(1);
    }
  }

  // 13
  @Test
  void getAndRespondImmediatelyWithBadStatus() {
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        ctx.respond(ImmediateResponse.of(100));
        return Processing.done();
      }
    };
    try (Engine engine = Engine.start(exchange -> processor)) {
      ExchangeResult result = engine.run(Exchange.builder().build());

      assertThat(result.immediateResponse()).isPresent();
      assertThat(result.status()).isEqualTo(200);
    }
  }

  // 14
  @Test
  void getAndSetHeadersOnResponseBadStatus() {
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        if (ctx.direction() == dev.extproc.Direction.RESPONSE) {
          ctx.setHeader(":status", "100");
          ctx.setHeader("x-other", "applied");
        }
        return Processing.done();
      }
    };
    try (Engine engine = Engine.start(exchange -> processor)) {
      ExchangeResult result = engine.run(Exchange.builder().build());

      assertThat(result.status()).isEqualTo(200);
      assertThat(result.client().headers().get("x-other")).isEqualTo("applied");
    }
  }

  // 15
  @Test
  void getAndSetHeadersNonUtf8WithValueInString() {
    ByteString binary = ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xfe, 'a'});
    List<ByteString> seen = new CopyOnWriteArrayList<>();
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        if (ctx.direction() == dev.extproc.Direction.REQUEST) {
          seen.add(headers.raw("x-binary"));
          ctx.setHeader("x-set", "värde");
        }
        return Processing.done();
      }
    };
    io.envoyproxy.envoy.config.core.v3.HeaderMap map = io.envoyproxy.envoy.config.core.v3.HeaderMap.newBuilder()
        .addHeaders(io.envoyproxy.envoy.config.core.v3.HeaderValue.newBuilder().setKey(":method").setRawValue(ByteString.copyFromUtf8("GET")))
        .addHeaders(io.envoyproxy.envoy.config.core.v3.HeaderValue.newBuilder().setKey("x-binary").setRawValue(binary))
        .build();
    try (Engine engine = Engine.start(exchange -> processor)) {
      ExchangeResult result = engine.run(Exchange.builder().requestHeaders(Headers.fromProto(map)).build());

      assertThat(seen).containsExactly(binary);
      assertThat(result.upstream().headers().raw("x-binary")).isEqualTo(binary);
      assertThat(result.upstream().headers().get("x-set")).isEqualTo("värde");
      assertThat(result.received().get(0).getRequestHeaders().getResponse().getHeaderMutation()
          .getSetHeaders(0).getHeader().getValue()).isEmpty();
    }
  }

  // 20
  @Test
  void postAndProcessStreamedRequestBody() {
    try (Engine engine = Engine.start(PassthroughProcessor.factory())) {
      BodySource body = BodySource.random(152 * 1000, 152);
      ExchangeResult result = engine.run(post(BodySendMode.STREAMED, body).chunkSize(1000).build());

      assertThat(bodyMessages(result)).hasSize(153); // 152 chunks and the empty last chunk
      assertThat(result.upstream().body().digest()).isEqualTo(body.digest());
      assertThat(result.received()).filteredOn(r -> r.hasRequestBody()).hasSize(153)
          .allSatisfy(r -> assertThat(r.getRequestBody().getResponse().hasBodyMutation()).isFalse());
    }
  }

  // 21
  @Test
  void streamingBodyMutateLastEmptyChunk() {
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onEnd(MessageContext ctx) {
        return ctx.write(ByteString.copyFromUtf8("+tail"));
      }
    };
    try (Engine engine = Engine.start(exchange -> processor)) {
      ExchangeResult result = engine.run(post(BodySendMode.STREAMED, BodySource.of("body")).framing(Framing.HTTP1).build());

      assertThat(result.upstream().body().utf8()).isEqualTo("body+tail");
      ProcessingRequest last = bodyMessages(result).get(bodyMessages(result).size() - 1);
      assertThat(last.getRequestBody().getBody().isEmpty()).isTrue();
    }
  }

  // 21
  @Test
  void streamingBodyNotMutateLastEmptyChunk() {
    try (Engine engine = Engine.start(PassthroughProcessor.factory())) {
      ExchangeResult result = engine.run(post(BodySendMode.STREAMED, BodySource.of("body")).framing(Framing.HTTP1).build());

      assertThat(result.upstream().body().utf8()).isEqualTo("body");
      assertThat(result.messagesReceived()).isEqualTo(result.messagesSent());
    }
  }

  // 22
  @Test
  void sendBodyBeforeHeaderRespStreamedBasicTest() {
    try (Engine engine = Engine.start(exchange -> new TestProcessors.XorProcessor())) {
      BodySource body = BodySource.random(10 * 1024, 22);
      ExchangeResult result = engine.run(post(BodySendMode.STREAMED, body).chunkSize(1024)
          .sendBodyWithoutWaitingForHeaderResponse(true).build());

      assertThat(result.upstream().body().digest()).isEqualTo(TestProcessors.xorDigest(body));
    }
  }

  // 22
  @Test
  void serverWaitForBodyBeforeSendsHeaderRespStreamedTest() {
    ExchangeProcessor processor = new TestProcessors.XorProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        return CompletableFuture.runAsync(() -> ctx.setHeader("x-late", "yes"), otherThread);
      }
    };
    try (Engine engine = Engine.start(exchange -> processor)) {
      BodySource body = BodySource.random(10 * 1024, 22);
      ExchangeResult result = engine.run(post(BodySendMode.STREAMED, body).chunkSize(1024)
          .sendBodyWithoutWaitingForHeaderResponse(true).build());

      assertThat(result.upstream().headers().get("x-late")).isEqualTo("yes");
      assertThat(result.upstream().body().digest()).isEqualTo(TestProcessors.xorDigest(body));
    }
  }

  // 23
  @Test
  void postAndProcessStreamedRequestBodyPartially_modeOverrideOutsideHeadersRefused() {
    List<Throwable> refused = new CopyOnWriteArrayList<>();
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        try {
          ctx.overrideMode(ProcessingMode.newBuilder().setRequestBodyMode(BodySendMode.NONE).build());
        } catch (IllegalStateException e) {
          refused.add(e);
        }
        return ctx.write(chunk);
      }
    };
    ExtProcConfig config = ExtProcConfig.defaults().withModeOverrideAllowed(true);
    try (Engine engine = Engine.start(exchange -> processor, config)) {
      ExchangeResult result = engine.run(post(BodySendMode.STREAMED, BodySource.of("abcdefg")).chunkSize(1)
          .allowModeOverride(true).build());

      assertThat(result.upstream().body().utf8()).isEqualTo("abcdefg");
      assertThat(refused).hasSize(7).allSatisfy(e -> assertThat(e).hasMessageContaining("onHeaders"));
    }
  }

  // 24
  @Test
  void modeOverrideAllowed() {
    ExchangeProcessor processor = new TestProcessors.XorProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        if (ctx.direction() == dev.extproc.Direction.REQUEST) {
          ctx.overrideMode(ProcessingMode.newBuilder().setRequestBodyMode(BodySendMode.STREAMED).build());
        }
        return Processing.done();
      }
    };
    ExtProcConfig config = ExtProcConfig.defaults().withModeOverrideAllowed(true);
    try (Engine engine = Engine.start(exchange -> processor, config)) {
      ExchangeResult result = engine.run(post(BodySendMode.NONE, BodySource.of("abc")).allowModeOverride(true).build());

      assertThat(result.received().get(0).hasModeOverride()).isTrue();
      assertThat(bodyMessages(result)).isNotEmpty();
      assertThat(result.upstream().body().bytes()).contains(TestProcessors.xor(ByteString.copyFromUtf8("abc")));
    }
  }

  // 24
  @Test
  void modeOverrideDisallowed() {
    List<Throwable> refused = new CopyOnWriteArrayList<>();
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        try {
          ctx.overrideMode(ProcessingMode.newBuilder().setRequestBodyMode(BodySendMode.STREAMED).build());
        } catch (IllegalStateException e) {
          refused.add(e);
        }
        return Processing.done();
      }
    };
    try (Engine engine = Engine.start(exchange -> processor)) {
      ExchangeResult result = engine.run(post(BodySendMode.NONE, BodySource.of("abc")).build());

      assertThat(refused).hasSize(2);
      assertThat(result.received()).noneMatch(r -> r.hasModeOverride());
      assertThat(result.upstream().body().utf8()).isEqualTo("abc");
    }
  }

  // 24
  @Test
  void disableResponseModeOverrideByStreamedBodyMode() {
    List<Throwable> refused = new CopyOnWriteArrayList<>();
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        try {
          ctx.overrideMode(ProcessingMode.newBuilder().setResponseBodyMode(BodySendMode.NONE).build());
        } catch (IllegalStateException e) {
          refused.add(e);
        }
        return Processing.done();
      }
    };
    ExtProcConfig config = ExtProcConfig.defaults().withModeOverrideAllowed(true);
    try (Engine engine = Engine.start(exchange -> processor, config)) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
          .trailerMode(HeaderSendMode.SEND).allowModeOverride(true)
          .requestBody(BodySource.of("abc")).responseBody(BodySource.of("def")).build());

      assertThat(refused).hasSize(2).allSatisfy(e -> assertThat(e).hasMessageContaining("FULL_DUPLEX_STREAMED"));
      assertThat(result.client().body().utf8()).isEqualTo("def");
    }
  }

  // 25
  @Test
  void postAndProcessBufferedPartialBigRequestBody() {
    ExchangeProcessor processor = new TestProcessors.XorProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        if (ctx.direction() == dev.extproc.Direction.REQUEST) {
          ctx.overrideMode(ProcessingMode.newBuilder().setRequestBodyMode(BodySendMode.BUFFERED_PARTIAL).build());
        }
        return Processing.done();
      }
    };
    ExtProcConfig config = ExtProcConfig.defaults().withModeOverrideAllowed(true);
    BodySource body = BodySource.random(200 * 1024, 25);
    try (Engine engine = Engine.start(exchange -> processor, config)) {
      ExchangeResult result = engine.run(post(BodySendMode.NONE, body).allowModeOverride(true)
          .bufferLimit(64 * 1024).build());

      ProcessingRequest partial = bodyMessages(result).get(0);
      int partialLength = partial.getRequestBody().getBody().size();
      assertThat(bodyMessages(result)).hasSize(1);
      assertThat(partial.getRequestBody().getEndOfStream()).isFalse();
      assertThat(partialLength).isLessThan((int) body.length());
      ByteString original;
      try (BodySource.Reader reader = body.open()) {
        original = reader.read((int) body.length());
      }
      ByteString expected = TestProcessors.xor(original.substring(0, partialLength)).concat(original.substring(partialLength));
      assertThat(result.upstream().body().bytes()).contains(expected);
    }
  }

  // 26
  @Test
  void protocolConfigurationEncodingTest() {
    ExtProcConfig config = ExtProcConfig.defaults().withDefaultMode(ProcessingMode.newBuilder()
        .setRequestBodyMode(BodySendMode.NONE).setResponseBodyMode(BodySendMode.NONE).build());
    try (Engine engine = Engine.start(exchange -> new TestProcessors.XorProcessor(), config)) {
      ExchangeResult result = engine.run(post(BodySendMode.STREAMED, BodySource.of("abc"))
          .requestHeaderMode(HeaderSendMode.SKIP).build());

      assertThat(result.sent().get(0).hasRequestBody()).isTrue();
      assertThat(result.sent().get(0).hasProtocolConfig()).isTrue();
      assertThat(result.sent().subList(1, result.sent().size())).noneMatch(ProcessingRequest::hasProtocolConfig);
      assertThat(result.upstream().body().bytes()).contains(TestProcessors.xor(ByteString.copyFromUtf8("abc")));
    }
  }

  // 27 and 32: the header reply comes only after the whole body was sent; never a body reply before it.
  @Test
  void serverWaitForBodyBeforeSendsHeaderRespDuplexStreamed() {
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        return CompletableFuture.runAsync(() -> ctx.setHeader("x-header-reply", "late"), otherThread);
      }

      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        // Two writes per chunk: output need not line up with input.
        int half = chunk.size() / 2;
        ctx.write(chunk.substring(0, half));
        return ctx.write(chunk.substring(half));
      }
    };
    BodySource body = BodySource.random(64 * 1024, 27);
    try (Engine engine = Engine.start(exchange -> processor)) {
      ExchangeResult result = engine.run(post(BodySendMode.FULL_DUPLEX_STREAMED, body)
          .trailerMode(HeaderSendMode.SEND).chunkSize(1024).build());

      assertThat(result.upstream().headers().get("x-header-reply")).isEqualTo("late");
      assertThat(result.upstream().body().digest()).isEqualTo(body.digest());
    }
  }

  // 28
  @Test
  void largeBodyTestDuplexStreamed() {
    try (Engine engine = Engine.start(PassthroughProcessor.factory())) {
      for (int i = 0; i < 30; i++) {
        BodySource body = BodySource.random(2 * 1024 * 1024, i);
        ExchangeResult result = engine.run(post(BodySendMode.FULL_DUPLEX_STREAMED, body)
            .trailerMode(HeaderSendMode.SEND).bufferLimit(1024).chunkSize(64 * 1024).build());

        assertThat(result.status()).isEqualTo(200);
        assertThat(result.upstream().body().digest()).isEqualTo(body.digest());
      }
    }
  }

  // 29
  @Test
  void serverWaitForBodyAndTrailerBeforeSendsHeaderRespDuplexStreamedSmallBody() {
    ExchangeProcessor processor = new ExchangeProcessor() {
      private ByteString held = ByteString.EMPTY;

      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        held = held.concat(chunk);
        return Processing.done();
      }

      @Override
      public CompletionStage<Void> onEnd(MessageContext ctx) {
        return ctx.write(held);
      }

      @Override
      public CompletionStage<Void> onTrailers(MessageContext ctx, HttpHeaders trailers) {
        ctx.setHeader("x-trailer-mutated", "yes");
        return Processing.done();
      }
    };
    try (Engine engine = Engine.start(exchange -> processor)) {
      ExchangeResult result = engine.run(post(BodySendMode.FULL_DUPLEX_STREAMED, BodySource.of("small body"))
          .trailerMode(HeaderSendMode.SEND).chunkSize(3).requestTrailers(Headers.of("x-t", "1")).build());

      assertThat(bodyMessages(result)).allSatisfy(m -> assertThat(m.getRequestBody().getEndOfStream()).isFalse());
      assertThat(result.upstream().body().utf8()).isEqualTo("small body");
      assertThat(result.upstream().trailers().get("x-trailer-mutated")).isEqualTo("yes");
      assertThat(result.upstream().trailers().get("x-t")).isEqualTo("1");
    }
  }

  /** Emits {@code out} chunks for every {@code in} chunks received (and the rest at the end). */
  static final class BatchingProcessor implements ExchangeProcessor {
    private final int in;
    private final int out;
    private final List<ByteString> held = new ArrayList<>();

    BatchingProcessor(int in, int out) {
      this.in = in;
      this.out = out;
    }

    @Override
    public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
      held.add(chunk);
      return held.size() == in ? flush(ctx) : Processing.done();
    }

    @Override
    public CompletionStage<Void> onEnd(MessageContext ctx) {
      return flush(ctx);
    }

    private CompletionStage<Void> flush(MessageContext ctx) {
      ByteString all = ByteString.copyFrom(held);
      held.clear();
      CompletionStage<Void> last = Processing.done();
      int step = Math.max(1, (all.size() + out - 1) / out);
      for (int i = 0; i < all.size(); i += step) {
        last = ctx.write(all.substring(i, Math.min(all.size(), i + step)));
      }
      return last;
    }
  }

  // 30
  @Test
  void serverSendBodyRespWithouRecvEntireBodyDuplexStreamed() {
    BodySource body = BodySource.random(100 * 1000, 30);
    try (Engine engine = Engine.start(exchange -> new BatchingProcessor(7, 3))) {
      ExchangeResult result = engine.run(post(BodySendMode.FULL_DUPLEX_STREAMED, body).chunkSize(1000)
          .trailerMode(HeaderSendMode.SEND).requestTrailers(Headers.of("x-t", "1")).build());

      assertThat(result.upstream().body().digest()).isEqualTo(body.digest());
      assertThat(result.upstream().trailers()).isNotNull();
    }
  }

  // 31
  @ParameterizedTest(name = "{0}:{1}")
  @CsvSource({"7, 3", "1, 1", "11, 4"})
  void duplexStreamedInBothDirection(int in, int out) {
    BodySource request = BodySource.random(50 * 1000, 31);
    BodySource response = BodySource.random(70 * 1000, 32);
    try (Engine engine = Engine.start(exchange -> new BatchingProcessor(in, out))) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
          .trailerMode(HeaderSendMode.SEND).chunkSize(1000).requestBody(request).responseBody(response).build());

      assertThat(result.upstream().body().digest()).isEqualTo(request.digest());
      assertThat(result.client().body().digest()).isEqualTo(response.digest());
    }
  }

  // 34: in STREAMED the engine never answers with streamed_response, even when output is re-chunked.
  @Test
  void duplexStreamedBodyProcessingTestWithFilterConfigMissing() {
    try (Engine engine = Engine.start(exchange -> new BatchingProcessor(3, 2))) {
      BodySource body = BodySource.random(10 * 1000, 34);
      ExchangeResult result = engine.run(post(BodySendMode.STREAMED, body).chunkSize(1000).build());

      assertThat(result.upstream().body().digest()).isEqualTo(body.digest());
      assertThat(result.received()).noneMatch(r -> r.getRequestBody().getResponse().getBodyMutation().hasStreamedResponse());
    }
  }

  // 36
  @ParameterizedTest(name = "{0} bytes")
  @CsvSource({"3", "100000"})
  void modeOverrideNoneToFullDuplex(int size) {
    ExchangeProcessor processor = new TestProcessors.XorProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        if (ctx.direction() == dev.extproc.Direction.REQUEST) {
          ctx.overrideMode(ProcessingMode.newBuilder().setRequestBodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
              .setRequestTrailerMode(HeaderSendMode.SEND).build());
        }
        return Processing.done();
      }
    };
    ExtProcConfig config = ExtProcConfig.defaults().withModeOverrideAllowed(true);
    BodySource body = BodySource.random(size, 36);
    try (Engine engine = Engine.start(exchange -> processor, config)) {
      ExchangeResult result = engine.run(post(BodySendMode.NONE, body).allowModeOverride(true).build());

      assertThat(bodyMessages(result)).isNotEmpty();
      assertThat(result.upstream().body().digest()).isEqualTo(TestProcessors.xorDigest(body));
    }
  }

  // 38
  @Test
  void serverWaitforEnvoyHalfCloseThenCloseStream() {
    try (Engine engine = Engine.start(PassthroughProcessor.factory())) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
          .trailerMode(HeaderSendMode.SEND).requestBody(BodySource.of("abc")).responseBody(BodySource.of("def"))
          .closeMode(CloseMode.GRACEFUL).build());

      assertThat(result.status()).isEqualTo(200);
      assertThat(result.grpcStatus().getCode()).isEqualTo(Status.Code.OK);
      engine.awaitIdle();
      assertThat(engine.stats().streamsCompleted()).isEqualTo(1);
    }
  }

  // 19
  @ParameterizedTest(name = "{0}")
  @CsvSource({"STREAMED", "BUFFERED", "FULL_DUPLEX_STREAMED"})
  void extraAfterImmediateResponse_engineSendsNothingAfterIt(BodySendMode mode) {
    ExchangeProcessor processor = new ExchangeProcessor() {
      private int chunks;

      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        CompletionStage<Void> written = ctx.write(chunk);
        if (++chunks == 2 || ctx.bodyMode() == BodyMode.BUFFERED) {
          ctx.respond(ImmediateResponse.of(403, "stop"));
        }
        return written;
      }
    };
    try (Engine engine = Engine.start(exchange -> processor)) {
      ExchangeResult result = engine.run(post(mode, BodySource.random(10_000, 19)).chunkSize(1000)
          .trailerMode(HeaderSendMode.SEND).closeMode(CloseMode.GRACEFUL).build());

      assertThat(result.status()).isEqualTo(403);
      assertThat(result.client().body().utf8()).isEqualTo("stop");
    }
  }

  // 16
  @ParameterizedTest(name = "failure_mode_allow {0}")
  @CsvSource({"false", "true"})
  void requestMessageTimeout_andIgnoreError(boolean failureModeAllow) {
    CompletableFuture<Void> never = new CompletableFuture<>();
    ExchangeProcessor slow = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        return never;
      }
    };
    try (Engine engine = Engine.start(exchange -> slow)) {
      ExchangeResult result = engine.run(post(BodySendMode.STREAMED, BodySource.of("body"))
          .messageTimeout(java.time.Duration.ofMillis(200)).failureModeAllow(failureModeAllow).build());

      if (failureModeAllow) {
        assertThat(result.status()).isEqualTo(200);
        assertThat(result.upstream().body().utf8()).isEqualTo("body");
      } else {
        assertThat(result.status()).isEqualTo(504);
      }
      // Envoy closed the stream: the engine releases it although the processor's stage never completes.
      engine.awaitIdle();
      assertThat(engine.stats().streamsCancelled()).isEqualTo(1);
    }
  }
}
