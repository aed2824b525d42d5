package dev.extproc.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.extproc.Direction;
import dev.extproc.ExchangeProcessor;
import dev.extproc.ExtProcConfig;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import dev.extproc.MessageContext;
import dev.extproc.Processing;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.HttpMessage;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Further scenarios: header mode SKIP, no protocol_config, amplifying output, metadata, concurrency. */
@Timeout(120)
class MoreScenariosTest {
  private final ExecutorService pool = Executors.newFixedThreadPool(4);

  @AfterEach
  void stopPool() {
    pool.shutdownNow();
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "REQUEST, STREAMED", "REQUEST, BUFFERED", "REQUEST, BUFFERED_PARTIAL", "REQUEST, FULL_DUPLEX_STREAMED",
    "RESPONSE, STREAMED", "RESPONSE, BUFFERED", "RESPONSE, BUFFERED_PARTIAL", "RESPONSE, FULL_DUPLEX_STREAMED"
  })
  void headerModeSkip_bodyIsTheFirstMessageOfTheDirection(Direction direction, BodySendMode mode) {
    BodySource body = BodySource.random(50_000, 9);
    try (Engine engine = Engine.start(exchange -> new TestProcessors.XorProcessor())) {
      Exchange.Builder exchange = Exchange.builder().requestHeaderMode(HeaderSendMode.SKIP)
          .responseHeaderMode(HeaderSendMode.SKIP).trailerMode(HeaderSendMode.SEND).chunkSize(4096);
      if (direction == Direction.REQUEST) {
        exchange.requestBodyMode(mode).requestBody(body);
      } else {
        exchange.responseBodyMode(mode).responseBody(body);
      }
      ExchangeResult result = engine.run(exchange.build());

      HttpMessage processed = direction == Direction.REQUEST ? result.upstream() : result.client();
      assertThat(result.sent().get(0).hasRequestBody() || result.sent().get(0).hasResponseBody()).isTrue();
      assertThat(processed.body().digest()).isEqualTo(TestProcessors.xorDigest(body));
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"STREAMED", "BUFFERED", "FULL_DUPLEX_STREAMED"})
  void withoutProtocolConfig_engineUsesItsConfiguredMode(BodySendMode mode) {
    ProcessingMode configured = ProcessingMode.newBuilder().setRequestBodyMode(mode).setResponseBodyMode(mode)
        .setRequestTrailerMode(HeaderSendMode.SEND).setResponseTrailerMode(HeaderSendMode.SEND).build();
    BodySource body = BodySource.random(30_000, 10);
    try (Engine engine = Engine.start(exchange -> new TestProcessors.XorProcessor(),
        ExtProcConfig.defaults().withDefaultMode(configured))) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(mode).trailerMode(HeaderSendMode.SEND)
          .sendProtocolConfig(false).requestBody(body).responseBody(body).build());

      assertThat(result.sent()).noneMatch(m -> m.hasProtocolConfig());
      assertThat(result.upstream().body().digest()).isEqualTo(TestProcessors.xorDigest(body));
      assertThat(result.client().body().digest()).isEqualTo(TestProcessors.xorDigest(body));
    }
  }

  @Test
  void fullDuplexAmplifyingProcessor_outputTwiceTheInput_bounded() {
    ExchangeProcessor doubling = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        return ctx.write(chunk).thenCompose(v -> ctx.write(chunk));
      }
    };
    ExtProcConfig config = ExtProcConfig.defaults().withMaxBodyMessageBytes(1024 * 1024);
    BodySource body = BodySource.random(16L * 1024 * 1024, 11);
    try (Engine engine = Engine.start(exchange -> doubling, config)) {
      ExchangeResult result = engine.run(Exchange.builder().requestBodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
          .trailerMode(HeaderSendMode.SEND).chunkSize(64 * 1024).requestBody(body).build());

      assertThat(result.upstream().body().length()).isEqualTo(2 * body.length());
      assertThat(engine.stats().peakBytesHeldPerStream()).isLessThan(config.maxBytesHeldPerStream());
    }
  }

  @Test
  void fullDuplexOneByteWrites_allBytesArriveInOrder() {
    ExchangeProcessor bytewise = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        CompletionStage<Void> last = Processing.done();
        for (int i = 0; i < chunk.size(); i++) {
          last = ctx.write(chunk.substring(i, i + 1));
        }
        return last;
      }
    };
    BodySource body = BodySource.random(64 * 1024, 12);
    try (Engine engine = Engine.start(exchange -> bytewise)) {
      ExchangeResult result = engine.run(Exchange.builder().requestBodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
          .trailerMode(HeaderSendMode.SEND).requestBody(body).build());

      assertThat(result.upstream().body().digest()).isEqualTo(body.digest());
    }
  }

  @Test
  void dynamicMetadata_attachedToAReply() {
    Struct metadata = Struct.newBuilder().putFields("my.namespace", Value.newBuilder().setStructValue(
        Struct.newBuilder().putFields("verdict", Value.newBuilder().setStringValue("ok").build())).build()).build();
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        if (ctx.direction() == Direction.REQUEST) {
          ctx.setDynamicMetadata(metadata);
        }
        return Processing.done();
      }
    };
    try (Engine engine = Engine.start(exchange -> processor)) {
      ExchangeResult result = engine.run(Exchange.builder().build());

      assertThat(result.dynamicMetadata()).containsExactly(metadata);
    }
  }

  @Test
  void immediateResponseFromAnotherThreadLater_whileBodyStageIsPending() {
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        return CompletableFuture.runAsync(() -> ctx.respond(ImmediateResponse.of(429, "slow down")), pool);
      }
    };
    try (Engine engine = Engine.start(exchange -> processor)) {
      ExchangeResult result = engine.run(Exchange.builder().requestBodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
          .trailerMode(HeaderSendMode.SEND).requestBody(BodySource.random(100_000, 13)).build());

      assertThat(result.status()).isEqualTo(429);
      assertThat(result.client().body().utf8()).isEqualTo("slow down");
    }
  }

  @Test
  void concurrentExchanges_areIndependent() throws Exception {
    try (Engine engine = Engine.start(exchange -> new TestProcessors.XorProcessor())) {
      List<Future<Boolean>> results = new ArrayList<>();
      BodySendMode[] modes = {BodySendMode.STREAMED, BodySendMode.BUFFERED, BodySendMode.FULL_DUPLEX_STREAMED,
          BodySendMode.BUFFERED_PARTIAL};
      for (int i = 0; i < 16; i++) {
        BodySendMode mode = modes[i % modes.length];
        BodySource body = BodySource.random(300_000 + i, i);
        results.add(pool.submit(() -> {
          ExchangeResult result = engine.run(Exchange.builder().bodyMode(mode).trailerMode(HeaderSendMode.SEND)
              .requestBody(body).echoRequestBody().build());
          // The echoed response is processed again: XOR twice gives the original bytes back.
          return result.upstream().body().digest().equals(TestProcessors.xorDigest(body))
              && result.client().body().digest().equals(body.digest());
        }));
      }
      for (Future<Boolean> result : results) {
        assertThat(result.get(60, TimeUnit.SECONDS)).isTrue();
      }
      engine.awaitIdle();
      assertThat(engine.stats().streamsCompleted()).isEqualTo(16);
    }
  }

  @Test
  void attributesAndMetadataContext_reachTheProcessorThroughExchangeInfo() {
    Struct attributes = Struct.newBuilder()
        .putFields("request.path", Value.newBuilder().setStringValue("/upload").build()).build();
    io.envoyproxy.envoy.config.core.v3.Metadata metadata = io.envoyproxy.envoy.config.core.v3.Metadata.newBuilder()
        .putFilterMetadata("my.filter", attributes).build();
    List<Object> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (Engine engine = Engine.start(exchange -> {
      seen.add(exchange.attributes());
      seen.add(exchange.metadataContext());
      return new TestProcessors.XorProcessor();
    })) {
      ExchangeResult result = engine.run(Exchange.builder().requestAttributes(attributes).metadataContext(metadata)
          .build());

      assertThat(result.sent().get(0).getAttributesMap()).containsEntry("envoy.filters.http.ext_proc", attributes);
      assertThat(result.sent().get(1).getAttributesMap()).isEmpty();
      assertThat(result.sent()).allMatch(m -> m.getMetadataContext().equals(metadata));
      assertThat(seen).containsExactly(java.util.Map.of("envoy.filters.http.ext_proc", attributes), metadata);
    }
  }
}
