package dev.extproc.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExchangeProcessor;
import dev.extproc.ExtProcConfig;
import dev.extproc.HttpHeaders;
import dev.extproc.MessageContext;
import dev.extproc.Processing;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.Framing;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The engine follows the mode in force as Envoy does (protocol_config, then mode overrides with
 * Envoy's merge rules), so that it ends every exchange as COMPLETED even when Envoy closes the
 * stream with a reset right after the last reply.
 */
@Timeout(60)
class ModeTrackingTest {
  private final List<ExchangeOutcome> outcomes = new CopyOnWriteArrayList<>();
  private final List<String> events = new CopyOnWriteArrayList<>();

  private ExchangeProcessor tracking(ProcessingMode override, Direction overrideIn) {
    return new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        events.add(ctx.direction().label() + " headers " + ctx.bodyMode());
        if (override != null && ctx.direction() == overrideIn) {
          ctx.overrideMode(override);
        }
        return Processing.done();
      }

      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        events.add(ctx.direction().label() + " body " + ctx.bodyMode());
        return ctx.write(TestProcessors.xor(chunk));
      }

      @Override
      public CompletionStage<Void> onEnd(MessageContext ctx) {
        events.add(ctx.direction().label() + " end " + ctx.bodyMode());
        return Processing.done();
      }

      @Override
      public void onClose(ExchangeOutcome outcome) {
        outcomes.add(outcome);
      }
    };
  }

  @Test
  void exchangeClosedByEnvoyResetAfterLastReply_isCompleted() {
    try (Engine engine = Engine.start(exchange -> tracking(null, null))) {
      engine.run(Exchange.builder().bodyMode(BodySendMode.STREAMED).requestBody(BodySource.of("abc"))
          .responseBody(BodySource.of("def")).build());
      engine.awaitIdle();

      awaitOnClose(outcomes);

      assertThat(outcomes).containsExactly(ExchangeOutcome.COMPLETED);
      assertThat(engine.stats().streamsCompleted()).isEqualTo(1);
      assertThat(engine.stats().streamsCancelled()).isZero();
    }
  }

  @Test
  void modeOverrideSettingOnlyResponseHeaderMode_setsBothBodyModesToNone() {
    // Envoy takes both body modes literally: an override that only skips response headers also
    // turns the request and response bodies to NONE.
    ProcessingMode override = ProcessingMode.newBuilder().setResponseHeaderMode(HeaderSendMode.SKIP).build();
    ExtProcConfig config = ExtProcConfig.defaults().withModeOverrideAllowed(true);
    try (Engine engine = Engine.start(exchange -> tracking(override, Direction.REQUEST), config)) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(BodySendMode.STREAMED).allowModeOverride(true)
          .requestBody(BodySource.of("abc")).responseBody(BodySource.of("def")).build());
      engine.awaitIdle();

      assertThat(result.sent()).singleElement().matches(ProcessingRequest::hasRequestHeaders);
      assertThat(result.upstream().body().utf8()).isEqualTo("abc");
      assertThat(result.client().body().utf8()).isEqualTo("def");
      awaitOnClose(outcomes);
      assertThat(outcomes).as("events %s", events).containsExactly(ExchangeOutcome.COMPLETED);
    }
  }

  @Test
  void modeOverrideInResponseHeaders_switchesResponseBodyMode() {
    ProcessingMode override = ProcessingMode.newBuilder().setResponseBodyMode(BodySendMode.STREAMED).build();
    ExtProcConfig config = ExtProcConfig.defaults().withModeOverrideAllowed(true);
    try (Engine engine = Engine.start(exchange -> tracking(override, Direction.RESPONSE), config)) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(BodySendMode.NONE).allowModeOverride(true)
          .requestBody(BodySource.of("abc")).responseBody(BodySource.of("def")).build());
      engine.awaitIdle();

      assertThat(result.upstream().body().utf8()).isEqualTo("abc");
      assertThat(result.client().body().bytes()).contains(TestProcessors.xor(ByteString.copyFromUtf8("def")));
      assertThat(events).contains("response body STREAMED");
      awaitOnClose(outcomes);
      assertThat(outcomes).as("events %s", events).containsExactly(ExchangeOutcome.COMPLETED);
    }
  }

  @Test
  void modeOverrideInRequestHeaders_appliesToResponseDirectionToo() {
    ProcessingMode override = ProcessingMode.newBuilder()
        .setRequestBodyMode(BodySendMode.BUFFERED).setResponseBodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
        .setResponseTrailerMode(HeaderSendMode.SEND).build();
    ExtProcConfig config = ExtProcConfig.defaults().withModeOverrideAllowed(true);
    try (Engine engine = Engine.start(exchange -> tracking(override, Direction.REQUEST), config)) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(BodySendMode.STREAMED).allowModeOverride(true)
          .requestBody(BodySource.of("abc")).responseBody(BodySource.of("def")).build());
      engine.awaitIdle();

      assertThat(result.upstream().body().bytes()).contains(TestProcessors.xor(ByteString.copyFromUtf8("abc")));
      assertThat(result.client().body().bytes()).contains(TestProcessors.xor(ByteString.copyFromUtf8("def")));
      assertThat(events).contains("request body BUFFERED", "response body FULL_DUPLEX_STREAMED");
      awaitOnClose(outcomes);
      assertThat(outcomes).as("events %s", events).containsExactly(ExchangeOutcome.COMPLETED);
    }
  }

  @Test
  void streamedAggregatedFirstChunkAfterHeldHeaderReply_largerThanMaxChunkBytes() {
    BodySource body = BodySource.random(4 * 1024 * 1024, 40);
    try (Engine engine = Engine.start(exchange -> tracking(null, null))) {
      ExchangeResult result = engine.run(Exchange.builder().requestBodyMode(BodySendMode.STREAMED)
          .requestBody(body).chunkSize(16 * 1024).heldBeforeHeaderReply(Long.MAX_VALUE).framing(Framing.HTTP2).build());
      engine.awaitIdle();

      ProcessingRequest first = result.sent().stream().filter(ProcessingRequest::hasRequestBody).findFirst().orElseThrow();
      assertThat(first.getRequestBody().getBody().size()).isEqualTo(1024 * 1024);
      assertThat(result.upstream().body().digest()).isEqualTo(TestProcessors.xorDigest(body));
      awaitOnClose(outcomes);
      assertThat(outcomes).containsExactly(ExchangeOutcome.COMPLETED);
    }
  }

  @Test
  void bufferedBodyOf8MiB_oneMessageOneReply() {
    BodySource body = BodySource.random(8 * 1024 * 1024, 41);
    try (Engine engine = Engine.start(exchange -> tracking(null, null))) {
      ExchangeResult result = engine.run(Exchange.builder().requestBodyMode(BodySendMode.BUFFERED)
          .requestBody(body).bufferLimit(8 * 1024 * 1024).build());
      engine.awaitIdle();

      assertThat(result.upstream().body().digest()).isEqualTo(TestProcessors.xorDigest(body));
      assertThat(result.upstream().headers().get("content-length")).isEqualTo(Long.toString(body.length()));
      assertThat(events).filteredOn(e -> e.startsWith("request body")).containsExactly("request body " + BodyMode.BUFFERED);
    }
  }

  /** Waits for onClose: a stream leaves activeStreams just before its processor's onClose runs. */
  private static void awaitOnClose(java.util.List<?> recorded) {
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .pollInterval(java.time.Duration.ofMillis(5)).until(() -> !recorded.isEmpty());
  }
}
