package dev.extproc.app.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.client.BodyDigest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A processor that holds bytes back (the card-number redactor keeps the end of each chunk until it
 * knows no match crosses it) and a body whose last bytes are a card number, so the redacted tail
 * is written only when the body ends — through a real Envoy 1.40, with request trailers.
 *
 * <p>FULL_DUPLEX_STREAMED delivers it: the client gets the redacted body and the trailers. In
 * STREAMED it cannot be delivered: Envoy sends the trailers only after every body chunk was
 * answered (Envoy source, {@code ext_proc.cc}: trailers wait while a body callback is pending), so
 * the reply to the last chunk goes out before the end is known, and a trailers reply carries no
 * body. The engine then fails the exchange with an error naming the modes that work, and the
 * client never gets a complete 200 with a wrong body.
 */
@ExtendWith(LocalStackExtension.class)
@StackConfig(serverArgs = {"--processor", "redact"})
class HeldBackTailE2eTest {
  private static final Map<String, String> TRAILERS = Map.of("x-checksum", "abc123");
  private static final String PREFIX = "order notes ".repeat(8_000) + "paid with card ";

  private static byte[] body(String card) {
    return (PREFIX + card).getBytes(StandardCharsets.US_ASCII);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Protocol.class)
  void fullDuplex_withTrailers_theRedactedTailAndTheTrailersArrive(Protocol protocol, E2eStack stack) {
    TestResponse response = stack.client(protocol).exchange(stack.extProcListener(),
        TestRequest.post(Route.FULL_DUPLEX_STREAMED.path(), BodySource.ofBytes(body("4111111111111111")), Framing.CHUNKED)
            .withTrailers(TRAILERS));

    assertThat(response.outcome()).as("%s", response).isEqualTo(TestResponse.Outcome.COMPLETE);
    assertThat(response.status()).as("%s", response).isEqualTo(200);
    assertThat(response.body()).isEqualTo(BodyDigest.Result.of(body("************1111")));
    assertThat(response.trailers()).as("%s", response).containsEntry("x-checksum", List.of("abc123"));
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Protocol.class)
  @ExpectsExtProcErrors
  void streamed_withTrailers_failsClearly_neverACompleteWrongBody(Protocol protocol, E2eStack stack) {
    Map<String, Long> before = stack.serverStats();

    TestResponse response = stack.client(protocol).exchange(stack.extProcListener(),
        TestRequest.post(Route.STREAMED.path(), BodySource.ofBytes(body("4111111111111111")), Framing.CHUNKED)
            .withTrailers(TRAILERS));

    // The streaming echo answers as the request arrives, so the client sees either Envoy's 500 or
    // a response cut short: never a complete 200.
    assertThat(response.outcome() == TestResponse.Outcome.COMPLETE && response.status() == 200)
        .as("a complete 200 would carry a body without its redacted tail: %s", response).isFalse();
    LocalStackExtension.awaitServerHoldsNothing(stack);
    assertThat(LocalStackExtension.delta(stack.serverStats(), before, "streams_failed")).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Protocol.class)
  void streamed_withoutTrailers_theRedactedTailArrives(Protocol protocol, E2eStack stack) {
    TestResponse response = stack.client(protocol).exchange(stack.extProcListener(),
        TestRequest.post(Route.STREAMED.path(), BodySource.ofBytes(body("4111111111111111")), Framing.CHUNKED));

    assertThat(response.outcome()).as("%s", response).isEqualTo(TestResponse.Outcome.COMPLETE);
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo(BodyDigest.Result.of(body("************1111")));
  }
}
