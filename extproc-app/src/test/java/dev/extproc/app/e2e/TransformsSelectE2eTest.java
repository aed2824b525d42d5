package dev.extproc.app.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.extension.ExtendWith;
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
}
