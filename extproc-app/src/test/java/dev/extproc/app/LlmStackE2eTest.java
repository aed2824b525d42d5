package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.client.HttpClient;
import dev.extproc.client.HttpProtocol;
import dev.extproc.client.Request;
import dev.extproc.client.RequestBody;
import dev.extproc.client.Response;
import dev.extproc.echo.LlmStubServer;
import dev.extproc.stack.LocalStack;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The stack's LLM route through a real Envoy: the README's one command ({@code extproc up --llm
 * FORMAT --llm-demo}) prints the usage Envoy logged, equal to what the llm-stub streamed; and with
 * {@code --llm-usage-trailer} the usage reaches the client as a response trailer, over HTTP/1.1
 * (chunked) and HTTP/2, when the answer has trailers.
 */
@Timeout(240)
class LlmStackE2eTest {
  /** The llm-stub command's defaults: 100 content events, 12 input tokens, model stub-model. */
  private static final long STUB_EVENTS = 100;
  private static final long STUB_INPUT_TOKENS = 12;

  @TempDir Path logDir;

  @Test
  void upLlmDemo_printsTheUsageEnvoyLogged_equalToTheStubs() {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

    int exit = new CommandLine(new UpCommand(out, System.err)).execute("--ephemeral-ports", "--log-dir", logDir.toString(),
        "--llm", "anthropic", "--llm-demo");

    String text = printed.toString(StandardCharsets.UTF_8);
    assertThat(exit).as("exit code; printed:\n%s", text).isZero();
    assertThat(text).contains("POST http://127.0.0.1:").contains("/llm/v1/messages");
    Matcher logged = Pattern.compile("(?m)^  (\\[.*\\] llm \"POST /llm/v1/messages HTTP/1.1\" 200 .*)$").matcher(text);
    assertThat(logged.find()).as("the access log line is printed:\n%s", text).isTrue();
    assertThat(logged.group(1)).contains("model=stub-model").containsPattern("output_tokens=100(\\.0)? ");
    assertThat(text).contains("usage Envoy logged: model=stub-model input_tokens=" + STUB_INPUT_TOKENS
        + " output_tokens=" + STUB_EVENTS + " total_tokens=" + (STUB_INPUT_TOKENS + STUB_EVENTS));
  }

  @Test
  void upLlmOptions_badUse_isAOneLineError() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream errors = new PrintStream(err, true, StandardCharsets.UTF_8);
    int badFormat = new CommandLine(new UpCommand(System.out, errors)).execute("--llm", "gemini");
    int demoWithoutLlm = new CommandLine(new UpCommand(System.out, errors)).execute("--llm-demo");
    int processorWithLlm = new CommandLine(new UpCommand(System.out, errors))
        .execute("--llm", "openai-chat", "--server-arg=--processor=redact");

    assertThat(List.of(badFormat, demoWithoutLlm, processorWithLlm)).containsOnly(2);
    assertThat(err.toString(StandardCharsets.UTF_8).lines().toList()).containsExactly(
        "extproc up: --llm: gemini (expected: openai-chat, openai-responses or anthropic)",
        "extproc up: --llm-demo needs --llm FORMAT",
        "extproc up: --llm chooses the server's processors (--processor mode-select,llm-usage --mode-override-allowed);"
            + " drop --server-arg=--processor");
  }

  @Test
  void usageTrailer_reachesTheClient_overHttp1AndHttp2_whenTheAnswerHasTrailers() throws Exception {
    List<String> serverArgs = new ArrayList<>(UpCommand.LLM_SERVER_ARGS);
    serverArgs.addAll(List.of("--llm-usage-trailer", "x-llm-usage"));
    try (LocalStack stack = LocalStack.builder().workDir(logDir).serverArgs(serverArgs)
        .llmStub(List.of("--format", "openai-responses", "--rate", "0", "--events", "5000")).build();
        HttpClient client = new HttpClient()) {
      InetSocketAddress listener = new InetSocketAddress(LocalStack.HOST, stack.extProcUri().getPort());
      String expected = "model=stub-model; input_tokens=12; output_tokens=5000; total_tokens=5012";
      for (HttpProtocol protocol : HttpProtocol.values()) {
        Response withTrailers = client.exchange(listener, protocol, post().withHeader("te", "trailers"));

        assertThat(withTrailers.isCompleteOk()).as("%s: %s", protocol, withTrailers).isTrue();
        assertThat(withTrailers.trailer(LlmStubServer.EVENTS_TRAILER)).as(protocol + ": the upstream's trailer").hasValue("5000");
        assertThat(withTrailers.trailer("x-llm-usage")).as(protocol + ": the usage trailer").hasValueSatisfying(
            value -> assertThat(value).startsWith(expected).contains("time_to_first_token_ms="));
      }
      Response without = client.exchange(listener, HttpProtocol.HTTP_2, post());
      assertThat(without.isCompleteOk()).as("%s", without).isTrue();
      assertThat(without.trailers()).as("no trailers from upstream: Envoy sends the server none to add to").isEmpty();
      assertThat(stack.envoyAdmin().extProcStats().clean()).isTrue();
    }
  }

  private static Request post() {
    return Request.post("/llm/v1/responses", RequestBody.ofBytes("{\"stream\":true}".getBytes(StandardCharsets.UTF_8)))
        .withTimeout(Duration.ofSeconds(60));
  }
}
