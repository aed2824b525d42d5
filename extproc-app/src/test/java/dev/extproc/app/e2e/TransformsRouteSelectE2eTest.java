package dev.extproc.app.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.client.BodyDigest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One server, a chain per Envoy route: {@code --select-config}
 * (src/test/resources/dev/extproc/app/e2e/route-select.conf) has only {@code route=NAME}
 * conditions, which match the {@code xds.route_name} attribute Envoy sends because the stack's
 * filter lists it in {@code request_attributes}. Routes no rule names pass through byte for byte.
 */
@ExtendWith(LocalStackExtension.class)
@StackConfig(serverArgs = {"--select-config", "src/test/resources/dev/extproc/app/e2e/route-select.conf"})
class TransformsRouteSelectE2eTest {
  static final String TEXT = "{\"password\": \"hunter2\", \"card\": \"4111111111111111\"}";
  static final byte[] BODY = TEXT.getBytes(StandardCharsets.UTF_8);

  private static TestResponse send(E2eStack stack, Protocol protocol, String path, String contentType, Framing framing) {
    return stack.viaExtProc(protocol, TestRequest.post(path, BodySource.ofBytes(BODY), framing)
        .withHeader("content-type", contentType));
  }

  private static BodyDigest.Result digest(String text) {
    return TransformsE2eTest.digestOf(text.getBytes(StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void eachRouteNameGetsItsOwnChain(Protocol protocol, E2eStack stack) {
    for (Framing framing : Framing.values()) {
      TestResponse redacted = send(stack, protocol, "/streamed/any/path", "application/json", framing);
      assertThat(redacted.status()).as("%s %s", framing, redacted).isEqualTo(200);
      assertThat(redacted.body()).as("route streamed: redact")
          .isEqualTo(digest("{\"password\": \"hunter2\", \"card\": \"************1111\"}"));

      TestResponse masked = send(stack, protocol, "/full-duplex-streamed/other", "application/json", framing);
      assertThat(masked.status()).as("%s %s", framing, masked).isEqualTo(200);
      assertThat(masked.body()).as("route full-duplex-streamed: json-mask")
          .isEqualTo(digest("{\"password\": \"***\", \"card\": \"4111111111111111\"}"));

      TestResponse notJson = send(stack, protocol, "/full-duplex-streamed/other", "text/plain", framing);
      assertThat(notJson.body()).as("route full-duplex-streamed, text/plain: no rule").isEqualTo(digest(TEXT));
    }
    byte[] big = new byte[2048];
    TestResponse limited = stack.viaExtProc(protocol,
        TestRequest.post("/buffered/x", BodySource.ofBytes(big), Framing.CONTENT_LENGTH));
    assertThat(limited.status()).as("route buffered: limit 1 KiB; %s", limited).isEqualTo(413);
  }

  /** Routes that no rule names (and that Envoy names too) get the fallback: pass-through. */
  @ParameterizedTest
  @EnumSource(value = Route.class, names = {"BUFFERED_PARTIAL", "HEADERS_ONLY"})
  void unnamedRoutesPassThroughByteForByte(Route route, E2eStack stack) {
    for (Protocol protocol : Protocol.values()) {
      for (Framing framing : Framing.values()) {
        TestResponse response = send(stack, protocol, route.path() + "/x", "application/json", framing);
        assertThat(response.status()).as("%s %s %s", protocol, framing, response).isEqualTo(200);
        assertThat(response.body()).isEqualTo(digest(TEXT));
      }
      byte[] big = new byte[2048];
      TestResponse large = stack.viaExtProc(protocol,
          TestRequest.post(route.path() + "/x", BodySource.ofBytes(big), Framing.CONTENT_LENGTH));
      assertThat(large.status()).as("no limit outside route buffered").isEqualTo(200);
      assertThat(large.body()).isEqualTo(TransformsE2eTest.digestOf(big));
    }
  }
}
