package dev.extproc.app.sse;

import static dev.extproc.app.sse.LlmUsageE2eTest.INPUT_TOKENS;
import static dev.extproc.app.sse.LlmUsageE2eTest.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.extproc.ExtProcConfig;
import dev.extproc.app.LlmUsageTestAccess;
import dev.extproc.client.BodyDigest;
import dev.extproc.client.HttpClient;
import dev.extproc.client.HttpProtocol;
import dev.extproc.client.Request;
import dev.extproc.client.RequestBody;
import dev.extproc.client.Response;
import dev.extproc.echo.LlmStubServer;
import dev.extproc.sse.LlmContent;
import dev.extproc.sse.LlmFormat;
import dev.extproc.sse.SyntheticLlmStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Through a real Envoy: {@code --processor guardrail --blocked-phrases "tok300 tok301"} stops each
 * format's stream mid-way, the phrase split across two events, in STREAMED and FULL_DUPLEX_STREAMED,
 * over HTTP/1.1 and HTTP/2. The client gets exactly the events before the blocked one, then one
 * well-formed error event in the stream's own format, then the end of a complete 200 response: no
 * torn event, no hang.
 */
class GuardrailE2eTest {
  private static final int EVENTS = 2_000;
  /** The stub's text deltas are "tok1 ", "tok2 ", ...: the phrase ends in event 301. */
  private static final int BLOCKED_EVENT = 301;

  @TempDir static Path dir;
  private static LlmStubServer stub;
  private static EnvoyFixture envoy;
  private static HttpClient client;

  @BeforeAll
  static void start() throws Exception {
    // Split at random points, so the blocked phrase and the events around it cross chunks.
    stub = new LlmStubServer("127.0.0.1", 0, new LlmStubServer.Settings(LlmFormat.OPENAI_CHAT, EVENTS, 0, MODEL, INPUT_TOKENS, 0xb10c));
    envoy = new EnvoyFixture(dir, "llm-envoy.yaml", LlmUsageTestAccess.guardrail(List.of("TOK300 tok301")),
        ExtProcConfig.defaults(), stub.start());
    client = new HttpClient();
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (envoy != null) {
      envoy.close();
    }
    if (stub != null) {
      stub.close();
    }
  }

  static List<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (LlmFormat format : LlmFormat.values()) {
      for (String route : List.of("/streamed", "/full-duplex")) {
        for (HttpProtocol protocol : HttpProtocol.values()) {
          cases.add(Arguments.of(format, route, protocol));
        }
      }
    }
    return cases;
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("cases")
  void blockedPhrase_stopsStream_withFinalErrorEventAndCleanEnd(LlmFormat format, String route, HttpProtocol protocol)
      throws Exception {
    Request request = Request.post(route + "/" + format.flag(),
        RequestBody.ofBytes("{\"stream\":true}".getBytes(StandardCharsets.UTF_8))).withTimeout(Duration.ofSeconds(60));

    Response response = client.exchange(new InetSocketAddress("127.0.0.1", envoy.listenerPort), protocol, request);

    assertThat(response.outcome()).as("the response ends cleanly: %s", response).isEqualTo(Response.Outcome.COMPLETE);
    assertThat(response.status()).isEqualTo(200);
    byte[] expected = expectedBody(format);
    assertThat(response.body().length()).as("the events before the blocked one, then the error event").isEqualTo(expected.length);
    assertThat(response.body()).isEqualTo(BodyDigest.Result.of(expected));
  }

  /** The stream's blocks up to the one before the blocked event, then the format's error event. */
  private static byte[] expectedBody(LlmFormat format) {
    SyntheticLlmStream stream = new SyntheticLlmStream(format, MODEL, EVENTS, INPUT_TOKENS);
    ByteString body = ByteString.EMPTY;
    for (int block = 0; block < BLOCKED_EVENT; block++) {
      body = body.concat(stream.nextBlock());
    }
    ByteString error = LlmContent.errorEvent(new ObjectMapper(), format, "content_filter",
        "The answer was stopped by a content policy.");
    assertThat(error.toStringUtf8()).as("a whole event").endsWith("\n\n");
    return body.concat(error).toByteArray();
  }
}
