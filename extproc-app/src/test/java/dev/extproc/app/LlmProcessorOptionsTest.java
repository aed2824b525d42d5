package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.extproc.ExtProcConfig;
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
  void guardrail_withoutPhrases_orPhrasesWithoutGuardrail_isAClearError() {
    assertThatThrownBy(() -> setup("--processor", "guardrail"))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("--processor guardrail needs --blocked-phrases LIST");
    assertThatThrownBy(() -> setup("--processor", "llm-usage", "--blocked-phrases", "x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--blocked-phrases is given but guardrail is not in --processor");
    assertThatThrownBy(() -> setup("--processor", "guardrail", "--blocked-phrases", " "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blocked phrase: empty");
  }
}
