package dev.extproc.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.extproc.Direction;
import dev.extproc.ExchangeProcessor;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import dev.extproc.MessageContext;
import dev.extproc.PassthroughProcessor;
import dev.extproc.Processing;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.Framing;
import dev.extproc.testing.Headers;
import dev.extproc.testing.HttpMessage;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Less common but legal shapes of an exchange. */
@Timeout(60)
class EdgeCasesTest {

  private static Exchange.Builder exchange(Direction direction, BodySendMode mode, BodySource body, Headers trailers) {
    Exchange.Builder exchange = Exchange.builder().trailerMode(HeaderSendMode.SEND);
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

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "REQUEST, STREAMED", "REQUEST, BUFFERED", "REQUEST, FULL_DUPLEX_STREAMED", "REQUEST, BUFFERED_PARTIAL",
    "RESPONSE, STREAMED", "RESPONSE, BUFFERED", "RESPONSE, FULL_DUPLEX_STREAMED", "RESPONSE, BUFFERED_PARTIAL"
  })
  void headerModeSkip_trailersOnly_noBodyBytes(Direction direction, BodySendMode mode) {
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onTrailers(MessageContext ctx, HttpHeaders trailers) {
        ctx.setHeader("x-seen", "yes");
        return Processing.done();
      }
    };
    try (Engine engine = Engine.start(exchange -> processor)) {
      ExchangeResult result = engine.run(exchange(direction, mode, BodySource.empty(), Headers.of("x-t", "1"))
          .requestHeaderMode(HeaderSendMode.SKIP).responseHeaderMode(HeaderSendMode.SKIP).build());

      assertThat(processed(direction, result).trailers().get("x-seen")).as(result.summary()).isEqualTo("yes");
      assertThat(processed(direction, result).body().length()).isZero();
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "REQUEST, STREAMED", "REQUEST, BUFFERED", "REQUEST, FULL_DUPLEX_STREAMED",
    "RESPONSE, STREAMED", "RESPONSE, BUFFERED", "RESPONSE, FULL_DUPLEX_STREAMED"
  })
  void outputWrittenInOnHeaders_precedesTheBody(Direction direction, BodySendMode mode) {
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        return ctx.write(ByteString.copyFromUtf8("prefix:"));
      }
    };
    try (Engine engine = Engine.start(exchange -> processor)) {
      ExchangeResult result = engine.run(exchange(direction, mode, BodySource.of("body"), null).build());

      assertThat(processed(direction, result).body().utf8()).as(result.summary()).isEqualTo("prefix:body");
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"STREAMED", "BUFFERED", "FULL_DUPLEX_STREAMED", "BUFFERED_PARTIAL", "NONE"})
  void immediateResponseInOnTrailers(BodySendMode mode) {
    ExchangeProcessor processor = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onTrailers(MessageContext ctx, HttpHeaders trailers) {
        ctx.respond(ImmediateResponse.of(451, "no trailers"));
        return Processing.done();
      }
    };
    try (Engine engine = Engine.start(exchange -> processor)) {
      ExchangeResult result = engine.run(exchange(Direction.REQUEST, mode, BodySource.of("body"), Headers.of("x-t", "1"))
          .build());

      assertThat(result.status()).as(result.summary()).isEqualTo(451);
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"STREAMED, HTTP1", "STREAMED, HTTP2", "FULL_DUPLEX_STREAMED, HTTP1", "FULL_DUPLEX_STREAMED, HTTP2"})
  void oneByteChunks_everyByteProcessed(BodySendMode mode, Framing framing) {
    BodySource body = BodySource.random(3000, 3);
    try (Engine engine = Engine.start(PassthroughProcessor.factory())) {
      ExchangeResult result = engine.run(exchange(Direction.REQUEST, mode, body, null).chunkSize(1).framing(framing).build());

      assertThat(result.upstream().body().digest()).isEqualTo(body.digest());
    }
  }

  @ParameterizedTest(name = "{0} trailers {1}")
  @CsvSource({"REQUEST, false", "REQUEST, true", "RESPONSE, false", "RESPONSE, true"})
  void streamedWholeBodyArrivedBeforeHeaderReply_sentAsOneMessage(Direction direction, boolean trailers) {
    BodySource body = BodySource.random(100_000, 14);
    try (Engine engine = Engine.start(exchange -> new TestProcessors.XorProcessor())) {
      ExchangeResult result = engine.run(exchange(direction, BodySendMode.STREAMED, body,
          trailers ? Headers.of("x-t", "1") : null).chunkSize(4096).heldBeforeHeaderReply(Long.MAX_VALUE).build());

      assertThat(result.sent()).filteredOn(m -> m.hasRequestBody() || m.hasResponseBody()).hasSize(1);
      assertThat(processed(direction, result).body().digest()).isEqualTo(TestProcessors.xorDigest(body));
    }
  }
}
