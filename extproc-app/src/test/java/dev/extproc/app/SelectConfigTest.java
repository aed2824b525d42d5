package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.extproc.ExtProcConfig;
import dev.extproc.app.ProcessorOptions.ProcessorSetup;
import dev.extproc.transforms.SelectingProcessorFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SelectConfigTest {
  @TempDir Path tmp;

  private static ProcessorSetup setup(String... args) {
    ProcessorOptions options = new ProcessorOptions();
    new CommandLine(options).parseArgs(args);
    return options.toSetup(ExtProcConfig.defaults());
  }

  @Test
  void readsOneChainPerRule() throws Exception {
    Path file = Files.writeString(tmp.resolve("select.conf"),
        "# comment\n\npath=/a --processor redact\nhost=x.example content-type=application/* --processor json-mask"
            + " --json-mask-fields password   # trailing comment\n* --processor limit --max-request-body 1MiB\n");
    ProcessorSetup setup = setup("--select-config", file.toString());
    assertThat(setup.factory()).isInstanceOf(SelectingProcessorFactory.class)
        .hasToString("select[path=/a, host=x.example content-type=application/*, *]");
    setup.resources().close();
  }

  @Test
  void badLinesNameTheFileLineAndProblem() throws Exception {
    Path noOptions = Files.writeString(tmp.resolve("a.conf"), "path=/a\n");
    assertThatThrownBy(() -> setup("--select-config", noOptions.toString()))
        .hasMessageStartingWith("--select-config: " + noOptions + " line 1: path=/a (expected: CONDITION... --processor NAME");
    Path badCondition = Files.writeString(tmp.resolve("b.conf"), "\nroute=x --processor redact\n");
    assertThatThrownBy(() -> setup("--select-config", badCondition.toString()))
        .hasMessage("--select-config: " + badCondition + " line 2: route=x (expected: path=, host=, content-type=, content-encoding= or *)");
    Path badChain = Files.writeString(tmp.resolve("c.conf"), "path=/x --processor json-mask\n");
    assertThatThrownBy(() -> setup("--select-config", badChain.toString()))
        .hasMessage("--select-config: " + badChain + " line 1: --processor json-mask needs --json-mask-fields LIST (e.g. password,/user/ssn)");
    assertThatThrownBy(() -> setup("--select-config", tmp.resolve("missing.conf").toString()))
        .hasMessageStartingWith("--select-config: " + tmp.resolve("missing.conf") + " (expected: a readable file)");
  }
}
