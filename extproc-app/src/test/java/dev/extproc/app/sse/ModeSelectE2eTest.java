package dev.extproc.app.sse;

import static dev.extproc.app.sse.LlmUsageE2eTest.INPUT_TOKENS;
import static dev.extproc.app.sse.LlmUsageE2eTest.LINE;
import static dev.extproc.app.sse.LlmUsageE2eTest.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.ExtProcConfig;
import dev.extproc.app.LlmUsageTestAccess;
import dev.extproc.echo.LlmStubServer;
import dev.extproc.sse.LlmFormat;
import java.nio.file.Path;
import java.util.regex.Matcher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Through a real Envoy 1.40 whose filter-level mode sends no bodies: the server chooses each
 * response's body mode from its headers with {@code mode_override} ({@code --processor
 * mode-select}), and Envoy's own counters show the switch: an event stream goes
 * FULL_DUPLEX_STREAMED (many body messages), a small JSON answer BUFFERED (one body message), opaque
 * media NONE (no body message). Usage is accounted for the stream and the JSON answer alike.
 */
class ModeSelectE2eTest {
  private static final int EVENTS = 2_000;
  private static final String MESSAGES_SENT = "http.llm.ext_proc.stream_msgs_sent";

  @TempDir static Path dir;
  private static LlmStubServer stub;
  private static EnvoyFixture envoy;

  @BeforeAll
  static void start() throws Exception {
    stub = new LlmStubServer("127.0.0.1", 0, new LlmStubServer.Settings(LlmFormat.OPENAI_CHAT, EVENTS, 0, MODEL, INPUT_TOKENS, 0));
    envoy = new EnvoyFixture(dir, "mode-select-envoy.yaml", LlmUsageTestAccess.modeSelectThenUsage(),
        ExtProcConfig.defaults().withModeOverrideAllowed(true), stub.start());
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

  /** Returns how many messages Envoy sent to the server for one request to {@code path}. */
  private static long messagesFor(String path) throws Exception {
    long before = envoy.admin.stat(MESSAGES_SENT);
    LlmUsageE2eTest.post(envoy.listenerPort, path);
    envoy.awaitAccessLog(path, LINE); // the exchange is over
    return envoy.admin.stat(MESSAGES_SENT) - before;
  }

  @Test
  void eventStream_switchesToFullDuplex_andIsAccounted() throws Exception {
    long messages = messagesFor("/auto/openai-chat");
    // request headers, response headers, then the body in chunks (at least one message per ~64 KiB).
    assertThat(messages).isGreaterThan(3);
    Matcher line = envoy.awaitAccessLog("/auto/openai-chat", LINE);
    assertThat(Double.parseDouble(line.group(5))).isEqualTo(EVENTS);
  }

  @Test
  void smallJson_switchesToBuffered_oneBodyMessage_andIsAccounted() throws Exception {
    assertThat(messagesFor("/auto/json")).isEqualTo(3);
    Matcher line = envoy.awaitAccessLog("/auto/json", LINE);
    assertThat(Double.parseDouble(line.group(6))).isEqualTo(INPUT_TOKENS + EVENTS);
  }

  @Test
  void media_staysNone_noBodyMessage() throws Exception {
    assertThat(messagesFor("/auto/media")).isEqualTo(2);
    assertThat(envoy.awaitAccessLog("/auto/media", LINE).group(5)).isEqualTo("-");
  }
}
