package dev.extproc.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.FakeEnvoy;
import dev.extproc.testing.Headers;
import dev.extproc.testing.HttpMessage;
import io.grpc.Status;
import dev.extproc.testkit.ExtProcExtension;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class CardNumberRedactorTest {
  @RegisterExtension final ExtProcExtension extproc = new ExtProcExtension();

  private FakeEnvoy envoy() {
    return extproc.fakeEnvoy(exchange -> ExchangeHandler.of(new CardNumberRedactor(), new DirectionProcessor() {}));
  }

  @Test
  void masksANumberSplitAcrossChunks() {
    ExchangeResult result = envoy().run(Exchange.builder()
        .requestBodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
        .trailerMode(HeaderSendMode.SEND)
        .requestBody(BodySource.of("pay 4111111111111111 now"))
        .chunkSizes(3, 5, 7)
        .build());

    assertThat(result.upstream().body().utf8()).isEqualTo("pay **************** now");
  }

  @Test
  void fullDuplexWithTrailers_masksEveryNumberWhateverTheChunking() {
    masksEveryNumber(BodySendMode.FULL_DUPLEX_STREAMED, true);
  }

  @Test
  void streamed_masksEveryNumberWhateverTheChunking() {
    masksEveryNumber(BodySendMode.STREAMED, false);
  }

  /**
   * A STREAMED body that ends with trailers cannot carry a held-back tail: Envoy sends the trailers
   * only after the last chunk was answered, and the trailers reply has no body. The engine fails
   * the exchange with an error that says so, never a silently truncated body; FULL_DUPLEX_STREAMED
   * (above) is the mode for this.
   */
  @Test
  void streamedWithTrailers_failsClearlyInsteadOfTruncating() {
    ExchangeResult result = envoy().run(Exchange.builder()
        .requestBodyMode(BodySendMode.STREAMED)
        .requestTrailerMode(HeaderSendMode.SEND)
        .requestBody(BodySource.of("pay 4111111111111111 now"))
        .requestTrailers(Headers.of("x-digest", "abc"))
        .chunkSize(5)
        .build());

    assertThat(result.grpcStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(result.grpcStatus().getDescription()).contains("cannot be delivered", "FULL_DUPLEX_STREAMED");
    assertThat(result.upstreamRequest().map(HttpMessage::complete)).isNotEqualTo(java.util.Optional.of(true));
  }

  private void masksEveryNumber(BodySendMode mode, boolean trailers) {
    FakeEnvoy envoy = envoy();
    Random random = new Random(20261130L + mode.ordinal());
    for (int run = 0; run < 40; run++) {
      String body = randomText(random);
      Exchange.Builder exchange = Exchange.builder()
          .requestBodyMode(mode)
          .requestTrailerMode(HeaderSendMode.SEND)
          .requestBody(BodySource.of(body))
          .chunkSizes(1 + random.nextInt(40), 1 + random.nextInt(40), 1 + random.nextInt(40));
      if (trailers) {
        exchange.requestTrailers(Headers.of("x-digest", "abc"));
      }
      ExchangeResult result = envoy.run(exchange.build());

      assertThat(result.upstream().body().utf8()).as("run %d of %s: %s", run, mode, body)
          .isEqualTo(body.replaceAll("[0-9]{16}", "*".repeat(16)));
      if (trailers) {
        assertThat(result.upstream().trailersIfAny()).hasValueSatisfying(t -> assertThat(t.get("x-digest")).isEqualTo("abc"));
      }
    }
  }

  @Test
  void passesBytesThatAreNotTextUnchanged() {
    ByteString binary = ByteString.copyFrom(new byte[] {(byte) 0xff, 0, (byte) 0x80, 'x'});
    ExchangeResult result = envoy().run(Exchange.builder()
        .requestBodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
        .requestBody(BodySource.of(binary))
        .chunkSize(1)
        .build());

    assertThat(result.upstream().body().bytes()).hasValue(binary);
  }

  private static String randomText(Random random) {
    StringBuilder text = new StringBuilder();
    int parts = 1 + random.nextInt(6);
    for (int i = 0; i < parts; i++) {
      text.append("id ");
      int digits = random.nextInt(3) == 0 ? 16 + random.nextInt(10) : random.nextInt(16);
      for (int d = 0; d < digits; d++) {
        text.append((char) ('0' + random.nextInt(10)));
      }
      text.append(random.nextBoolean() ? "; " : "\n");
    }
    return text.toString();
  }
}
