package dev.extproc.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExchangeOutcome;
import dev.extproc.Processing;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.Headers;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Look-ahead for processors that hold bytes back (issue #8): in STREAMED the engine hands a chunk
 * over once the direction's next message is here, so {@code last} is exact and the tail written in
 * {@code onEnd} reaches Envoy, with or without trailers.
 */
class LookAheadTest {
  private static final String CARD = "4111111111111111";
  private static final String MASK = "################";

  /** Masks card numbers split across chunks: keeps the last 16 bytes back until more comes. */
  static final class Redactor implements DirectionProcessor {
    private final boolean holdsBack;
    final List<Boolean> lastFlags = new ArrayList<>();
    private String carry = "";

    Redactor(boolean holdsBack) {
      this.holdsBack = holdsBack;
    }

    @Override
    public boolean holdsBack() {
      return holdsBack;
    }

    @Override
    public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
      lastFlags.add(last);
      String text = (carry + chunk.toStringUtf8()).replace(CARD, MASK);
      int keep = last ? 0 : Math.min(CARD.length(), text.length());
      carry = text.substring(text.length() - keep);
      return ctx.write(ByteString.copyFromUtf8(text.substring(0, text.length() - keep)));
    }

    @Override
    public CompletionStage<Void> onEnd(DirectionContext ctx) {
      String tail = carry;
      carry = "";
      return tail.isEmpty() ? Processing.done() : ctx.write(ByteString.copyFromUtf8(tail));
    }
  }

  private static final String BODY = "pay " + CARD + " now, then " + CARD + " again; end of message tail";

  @ParameterizedTest
  @ValueSource(ints = {1, 7, 16, 100})
  void streamed_redactorHoldingBack_withoutTrailers_bodyRedactedAndComplete(int chunkSize) {
    Redactor redactor = new Redactor(true);
    try (Engine engine = Engine.start(exchange -> ExchangeHandler.of(redactor, new Redactor(true)))) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(BodySendMode.STREAMED)
          .trailerMode(HeaderSendMode.SEND).requestBody(BodySource.of(BODY)).chunkSize(chunkSize).build());

      assertThat(result.status()).as(result.grpcStatus().toString()).isEqualTo(200);
      assertThat(result.upstream().body().utf8()).isEqualTo(BODY.replace(CARD, MASK));
      assertThat(redactor.lastFlags).last().isEqualTo(true);
      assertThat(redactor.lastFlags.subList(0, redactor.lastFlags.size() - 1)).doesNotContain(true);
      engine.awaitIdle();
      assertThat(engine.stats().streamsEnded(ExchangeOutcome.COMPLETED)).isEqualTo(1);
    }
  }

  /**
   * Envoy sends STREAMED trailers only after every body chunk was answered, so the last chunk
   * before trailers never sees them: the look-ahead gives up after its bound, and the tail written
   * in onEnd fails the exchange with the rule named, instead of hanging until Envoy's timeout.
   */
  @Test
  void streamed_redactorHoldingBack_withTrailers_failsClearly_neverHangs() {
    try (Engine engine = Engine.start(exchange -> ExchangeHandler.of(new Redactor(true), new Redactor(true)))) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(BodySendMode.STREAMED)
          .trailerMode(HeaderSendMode.SEND).requestBody(BodySource.of(BODY)).chunkSize(7)
          .requestTrailers(Headers.of("x-checksum", "1")).build());

      assertThat(result.status()).isNotEqualTo(200);
      assertThat(result.grpcStatus().getDescription())
          .contains("Envoy sends trailers only after every body chunk was answered")
          .contains("FULL_DUPLEX_STREAMED or BUFFERED");
      engine.awaitIdle();
      assertThat(engine.stats().streamsEnded(ExchangeOutcome.PROCESSOR_ERROR)).isEqualTo(1);
    }
  }

  @Test
  void streamed_redactorHoldingBack_withoutTrailers_lastFlagExact() {
    Redactor redactor = new Redactor(true);
    try (Engine engine = Engine.start(exchange -> ExchangeHandler.of(redactor, new Redactor(true)))) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(BodySendMode.STREAMED)
          .requestBody(BodySource.of(BODY)).chunkSize(9).build());

      assertThat(result.status()).isEqualTo(200);
      assertThat(result.upstream().body().utf8()).isEqualTo(BODY.replace(CARD, MASK));
      assertThat(redactor.lastFlags).containsOnlyOnce(true).last().isEqualTo(true);
    }
  }

  @Test
  void streamed_tailInOnEndBeforeTrailers_withoutHoldsBack_failsSayingHowToFixIt() {
    try (Engine engine = Engine.start(exchange -> ExchangeHandler.of(new Redactor(false), new Redactor(false)))) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(BodySendMode.STREAMED)
          .trailerMode(HeaderSendMode.SEND).requestBody(BodySource.of(BODY)).chunkSize(8)
          .requestTrailers(Headers.of("x-checksum", "1")).build());

      assertThat(result.status()).isNotEqualTo(200);
      assertThat(result.grpcStatus().getDescription()).contains("DirectionProcessor.holdsBack()");
      engine.awaitIdle();
      assertThat(engine.stats().streamsEnded(ExchangeOutcome.PROCESSOR_ERROR)).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"BUFFERED", "FULL_DUPLEX_STREAMED"})
  void otherModes_redactorHoldingBack_withTrailers_bodyRedactedAndComplete(String mode) {
    try (Engine engine = Engine.start(exchange -> ExchangeHandler.of(new Redactor(true), new Redactor(true)))) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(BodySendMode.valueOf(mode))
          .trailerMode(HeaderSendMode.SEND).requestBody(BodySource.of(BODY)).chunkSize(6)
          .requestTrailers(Headers.of("x-checksum", "1")).build());

      assertThat(result.status()).as(result.grpcStatus().toString()).isEqualTo(200);
      assertThat(result.upstream().body().utf8()).isEqualTo(BODY.replace(CARD, MASK));
      assertThat(result.upstream().trailers().get("x-checksum")).isEqualTo("1");
    }
  }
}
