package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.extproc.ExtProcConfig;
import dev.extproc.app.ProcessorOptions.ProcessorSetup;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;

class TransformOptionsTest {

  private static ProcessorSetup setup(String... args) {
    ProcessorOptions options = new ProcessorOptions();
    new CommandLine(options).parseArgs(args);
    return options.toSetup(ExtProcConfig.defaults());
  }

  @Test
  void buildsEachTransformProcessorFromItsFlags() throws Exception {
    for (String[] args : new String[][] {
        {"--processor", "redact"},
        {"--processor", "redact", "--redact-rules", "card,email:hash,/id-[0-9]{6}/:keep-last-2"},
        {"--processor", "json-mask", "--json-mask-fields", "password,/user/ssn,token:drop"},
        {"--processor", "limit", "--max-request-body", "10MiB", "--max-response-body", "1GiB"},
        {"--processor", "limit,redact,json-mask", "--max-request-body", "1KiB", "--json-mask-fields", "a"}}) {
      ProcessorSetup setup = setup(args);
      assertThat(setup.factory()).isNotNull();
      setup.resources().close();
    }
  }

  @Test
  void badFlagsGetOneLineNamingTheOption() {
    assertThatThrownBy(() -> setup("--processor", "redact", "--redact-rules", "card,/[a-z]+@x/"))
        .hasMessageStartingWith("--redact-rules: /[a-z]+@x/: regex [a-z]+@x: quantifier '+' (unbounded");
    assertThatThrownBy(() -> setup("--processor", "json-mask"))
        .hasMessage("--processor json-mask needs --json-mask-fields LIST (e.g. password,/user/ssn)");
    assertThatThrownBy(() -> setup("--processor", "limit"))
        .hasMessage("--processor limit needs --max-request-body SIZE and/or --max-response-body SIZE");
    assertThatThrownBy(() -> setup("--processor", "limit", "--max-request-body", "lots"))
        .hasMessage("--max-request-body: lots (expected: a byte count such as 65536, 256KiB or 10MiB)");
    assertThatThrownBy(() -> setup("--redact-rules", "card"))
        .hasMessageStartingWith("--redact-rules is given but redact is not in --processor");
  }
}
