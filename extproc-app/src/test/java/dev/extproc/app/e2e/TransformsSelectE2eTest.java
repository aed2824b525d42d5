package dev.extproc.app.e2e;

import dev.extproc.client.BodyDigest;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.extension.ExtendWith;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One server, several policies: {@code --select-config} (src/test/resources/dev/extproc/app/e2e/select.conf)
 * picks the chain per exchange from the path and content-type Envoy sends; unmatched exchanges
 * pass through unchanged.
 */
@ExtendWith(LocalStackExtension.class)
@StackConfig(serverArgs = {"--select-config", "src/test/resources/dev/extproc/app/e2e/select.conf"})
class TransformsSelectE2eTest {
  static final String TEXT = "{\"password\": \"hunter2\", \"card\": \"4111111111111111\"}";

  private static TestResponse send(E2eStack stack, Protocol protocol, String path, String contentType, byte[] body) {
    return stack.viaExtProc(protocol, TestRequest.post(path, BodySource.ofBytes(body), Framing.CHUNKED)
        .withHeader("content-type", contentType));
  }

  private static BodyDigest.Result digest(String text) {
    return TransformsE2eTest.digestOf(text.getBytes(StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void eachPathGetsItsOwnChainAndTheRestPassesThrough(Protocol protocol, E2eStack stack) {
    byte[] body = TEXT.getBytes(StandardCharsets.UTF_8);

    TestResponse redacted = send(stack, protocol, "/streamed/redact", "application/json", body);
    assertThat(redacted.status()).as("%s", redacted).isEqualTo(200);
    assertThat(redacted.body()).isEqualTo(digest("{\"password\": \"hunter2\", \"card\": \"************1111\"}"));

    TestResponse masked = send(stack, protocol, "/full-duplex-streamed/json", "application/json", body);
    assertThat(masked.status()).as("%s", masked).isEqualTo(200);
    assertThat(masked.body()).isEqualTo(digest("{\"password\": \"***\", \"card\": \"4111111111111111\"}"));

    TestResponse notJson = send(stack, protocol, "/full-duplex-streamed/json", "text/plain", body);
    assertThat(notJson.body()).as("content-type text/plain matches no rule").isEqualTo(digest(TEXT));

    TestResponse other = send(stack, protocol, "/streamed/other", "application/json", body);
    assertThat(other.body()).as("no rule: pass-through").isEqualTo(digest(TEXT));

    byte[] big = new byte[2048];
    TestResponse limited = stack.viaExtProc(protocol,
        TestRequest.post("/buffered/limit", BodySource.ofBytes(big), Framing.CONTENT_LENGTH));
    assertThat(limited.status()).as("%s", limited).isEqualTo(413);
    TestResponse unlimited = stack.viaExtProc(protocol,
        TestRequest.post("/buffered/other", BodySource.ofBytes(big), Framing.CONTENT_LENGTH));
    assertThat(unlimited.status()).isEqualTo(200);
    assertThat(unlimited.body()).isEqualTo(TransformsE2eTest.digestOf(big));
  }

  /**
   * The response direction. In STREAMED Envoy removes the request's content-length, so the echo
   * answers without one and the limit trips on the response body: the stream fails and
   * the client gets Envoy's 500 where no response byte had gone yet, else a reset; never a
   * complete 200, never the whole body.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @ExpectsExtProcErrors
  void aResponseOverItsLimitNeverCompletesAs200(Protocol protocol, E2eStack stack) {
    Map<String, Long> before = stack.serverStats();
    byte[] big = new byte[4096];
    for (Framing framing : Framing.values()) {
      TestResponse response = stack.viaExtProc(protocol,
          TestRequest.post("/streamed/small-response", BodySource.ofBytes(big), framing));
      if (response.outcome() == TestResponse.Outcome.COMPLETE) {
        assertThat(response.status()).as("%s %s", framing, response).isIn(500, 502);
      } else {
        assertThat(response.outcome()).as("%s %s", framing, response)
            .isIn(TestResponse.Outcome.RESET, TestResponse.Outcome.CONNECTION_CLOSED);
        assertThat(response.body().length()).as("bytes the client got before the reset").isLessThan(big.length);
      }
    }
    assertThat(LocalStackExtension.delta(stack.serverStats(), before, "streams_failed")).isEqualTo(2);
  }
}
