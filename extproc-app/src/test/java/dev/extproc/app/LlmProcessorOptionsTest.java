package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.sse.LlmFormat;
import dev.extproc.sse.SyntheticLlmStream;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.FakeEnvoy;
import dev.extproc.testing.Headers;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class LlmProcessorOptionsTest {
  private static ProcessorOptions.ProcessorSetup setup(String... args) {
    ProcessorOptions options = new ProcessorOptions();
    new CommandLine(options).parseArgs(args);
    return options.toSetup(ExtProcConfig.defaults());
  }

  @Test
  void llmUsageAndGuardrail_chain() throws Exception {
    ProcessorOptions.ProcessorSetup setup = setup("--processor", "guardrail,llm-usage", "--blocked-phrases", "a b,c");
    assertThat(setup.factory()).isNotNull();
    setup.resources().close();
  }

  @Test
  void llmUsage_countsTheUsageOfEveryAnswer_asServerCounters() throws Exception {
    ProcessorOptions.ProcessorSetup setup = setup("--processor", "llm-usage");
    assertThat(setup.counters()).containsOnlyKeys(
        "llm_answers", "llm_answers_usage_unknown", "llm_input_tokens", "llm_output_tokens", "llm_errors");
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
    ExtProcService service = ExtProcService.builder(setup.factory()).scheduler(scheduler).build();
    try (FakeEnvoy envoy =
        FakeEnvoy.forService(service, ExtProcConfig.defaults().maxInboundMessageBytes())) {
      SyntheticLlmStream stream =
          new dev.extproc.sse.SyntheticLlmStream(LlmFormat.ANTHROPIC, "m", 25, 9);
      ByteString body = ByteString.EMPTY;
      while (stream.hasNext()) {
        body = body.concat(stream.nextBlock());
      }
      envoy.run(Exchange.builder()
          .requestBodyMode(BodySendMode.NONE)
          .responseBodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
          .responseHeaders(Headers.of(":status", "200", "content-type", "text/event-stream"))
          .responseBody(BodySource.of(body))
          .build());
    } finally {
      scheduler.shutdownNow();
      setup.resources().close();
    }
    assertThat(setup.counters().get("llm_answers").getAsLong()).isEqualTo(1);
    assertThat(setup.counters().get("llm_input_tokens").getAsLong()).isEqualTo(9);
    assertThat(setup.counters().get("llm_output_tokens").getAsLong()).isEqualTo(25);
    assertThat(setup.counters().get("llm_answers_usage_unknown").getAsLong()).isZero();
  }

  @Test
  void guardrail_withoutPhrases_orPhrasesWithoutGuardrail_isAClearError() {
    assertThatThrownBy(() -> setup("--processor", "guardrail"))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("--processor guardrail needs --blocked-phrases LIST");
    assertThatThrownBy(() -> setup("--processor", "llm-usage", "--blocked-phrases", "x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--blocked-phrases is given but guardrail is not in --processor");
    assertThatThrownBy(() -> setup("--processor", "guardrail", "--blocked-phrases", " "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blocked phrase: empty");
  }

  @Test
  void usageTrailer_onlyWithLlmUsage_andAValidHeaderName() throws Exception {
    assertThat(setup("--processor", "llm-usage", "--llm-usage-trailer", "x-llm-usage").factory()).isNotNull();
    assertThatThrownBy(() -> setup("--processor", "guardrail", "--blocked-phrases", "x", "--llm-usage-trailer", "x-llm-usage"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--llm-usage-trailer is given but llm-usage is not");
    assertThatThrownBy(() -> setup("--processor", "llm-usage", "--llm-usage-trailer", "X Usage"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--llm-usage-trailer: X Usage (expected: a lower-case header name such as x-llm-usage)");
  }
}
