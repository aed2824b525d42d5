package dev.extproc.app.sse;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.extproc.ExtProcConfig;
import dev.extproc.app.LlmUsageTestAccess;
import dev.extproc.echo.LlmStubServer;
import dev.extproc.sse.LlmFormat;
import dev.extproc.sse.SyntheticLlmStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Through a real Envoy: long LLM event streams, split at random points by the upstream, pass
 * through ext_proc unchanged in STREAMED and FULL_DUPLEX_STREAMED, and the token usage the server
 * found reaches Envoy's access log through dynamic metadata ({@code extproc.llm}).
 */
class LlmUsageE2eTest {
  static final int EVENTS = 10_000;
  static final long INPUT_TOKENS = 17;
  static final String MODEL = "stub-model";
  static final Pattern LINE = Pattern.compile("(\\S+) (\\d+) model=(\\S+) input=(\\S+) output=(\\S+) total=(\\S+)");
  static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir static Path dir;
  private static LlmStubServer stub;
  private static EnvoyFixture envoy;

  @BeforeAll
  static void start() throws Exception {
    stub = new LlmStubServer("127.0.0.1", 0, new LlmStubServer.Settings(LlmFormat.OPENAI_CHAT, EVENTS, 0, MODEL, INPUT_TOKENS, 0x5eed));
    envoy = new EnvoyFixture(dir, "llm-envoy.yaml", LlmUsageTestAccess.factory(), ExtProcConfig.defaults(), stub.start());
  }

  @AfterAll
  static void stop() throws Exception {
    if (envoy != null) {
      envoy.close();
    }
    if (stub != null) {
      stub.close();
    }
  }

  static List<Arguments> cases() {
    return List.of(
        Arguments.of(LlmFormat.OPENAI_CHAT, "/streamed"), Arguments.of(LlmFormat.OPENAI_CHAT, "/full-duplex"),
        Arguments.of(LlmFormat.OPENAI_RESPONSES, "/streamed"), Arguments.of(LlmFormat.OPENAI_RESPONSES, "/full-duplex"),
        Arguments.of(LlmFormat.ANTHROPIC, "/streamed"), Arguments.of(LlmFormat.ANTHROPIC, "/full-duplex"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void longStream_passesUnchanged_usageInEnvoysAccessLog(LlmFormat format, String route) throws Exception {
    String path = route + "/" + format.flag();
    assertThat(post(envoy.listenerPort, path)).as("the stream passes through unchanged").isEqualTo(expectedDigest(format));

    Matcher line = envoy.awaitAccessLog(path, LINE);
    assertThat(line.group(2)).isEqualTo("200");
    assertThat(line.group(3)).isEqualTo(MODEL);
    assertThat(Double.parseDouble(line.group(4))).isEqualTo(INPUT_TOKENS);
    assertThat(Double.parseDouble(line.group(5))).isEqualTo(EVENTS);
    assertThat(Double.parseDouble(line.group(6))).isEqualTo(INPUT_TOKENS + EVENTS);
    assertThat(envoy.service.stats().streamsFailed()).isZero();
  }

  /** POSTs to {@code path} and returns how many body bytes the 200 response had. */
  static long postCounting(int port, String path) throws Exception {
    HttpResponse<InputStream> response = CLIENT.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofMinutes(5))
            .POST(HttpRequest.BodyPublishers.ofString("{\"stream\":true}")).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    long bytes = 0;
    try (InputStream body = response.body()) {
      byte[] buffer = new byte[65536];
      for (int n; (n = body.read(buffer)) > 0; ) {
        bytes += n;
      }
    }
    return bytes;
  }

  /** POSTs to {@code path} and returns the SHA-256 of the 200 response's body. */
  static byte[] post(int port, String path) throws Exception {
    HttpResponse<InputStream> response = CLIENT.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(120))
            .POST(HttpRequest.BodyPublishers.ofString("{\"stream\":true}")).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    try (InputStream body = response.body()) {
      byte[] buffer = new byte[65536];
      for (int n; (n = body.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    return digest.digest();
  }

  static byte[] expectedDigest(LlmFormat format) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    SyntheticLlmStream stream = new SyntheticLlmStream(format, MODEL, EVENTS, INPUT_TOKENS);
    while (stream.hasNext()) {
      ByteString block = stream.nextBlock();
      digest.update(block.toByteArray());
    }
    return digest.digest();
  }
}
