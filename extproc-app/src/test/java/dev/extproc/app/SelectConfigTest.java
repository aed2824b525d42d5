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
        "# comment\n\npath=/a --processor redact\nroute=payments --processor redact\n"
            + "metadata=policy:chain=json attribute=xds.cluster_name=echo --processor redact\nhost=x.example content-type=application/* --processor json-mask"
            + " --json-mask-fields password   # trailing comment\n* --processor limit --max-request-body 1MiB\n");
    ProcessorSetup setup = setup("--select-config", file.toString());
    assertThat(setup.factory()).isInstanceOf(SelectingProcessorFactory.class)
        .hasToString("select[path=/a, route=payments, metadata=policy:chain=json attribute=xds.cluster_name=echo, host=x.example content-type=application/*, *]");
    setup.resources().close();
  }

  @Test
  void badLinesNameTheFileLineAndProblem() throws Exception {
    Path noOptions = Files.writeString(tmp.resolve("a.conf"), "path=/a\n");
    assertThatThrownBy(() -> setup("--select-config", noOptions.toString()))
        .hasMessageStartingWith("--select-config: " + noOptions + " line 1: path=/a (expected: CONDITION... --processor NAME");
    Path badCondition = Files.writeString(tmp.resolve("b.conf"), "\nrout=x --processor redact\n");
    assertThatThrownBy(() -> setup("--select-config", badCondition.toString()))
        .hasMessage("--select-config: " + badCondition + " line 2: rout=x (expected: route=, metadata=, attribute=, path=, "
            + "host=, content-type=, content-encoding= or *)");
    Path badMetadata = Files.writeString(tmp.resolve("m.conf"), "metadata=chain=x --processor redact\n");
    assertThatThrownBy(() -> setup("--select-config", badMetadata.toString()))
        .hasMessage("--select-config: " + badMetadata + " line 1: metadata=chain=x (expected: metadata=NAMESPACE:KEY=VALUE, "
            + "e.g. metadata=policy:chain=payments)");
    Path badAttribute = Files.writeString(tmp.resolve("t.conf"), "attribute=xds.route_name --processor redact\n");
    assertThatThrownBy(() -> setup("--select-config", badAttribute.toString()))
        .hasMessage("--select-config: " + badAttribute + " line 1: attribute=xds.route_name (expected: attribute=NAME=VALUE, "
            + "e.g. attribute=xds.cluster_name=payments)");
    Path badChain = Files.writeString(tmp.resolve("c.conf"), "path=/x --processor json-mask\n");
    assertThatThrownBy(() -> setup("--select-config", badChain.toString()))
        .hasMessage("--select-config: " + badChain + " line 1: --processor json-mask needs --json-mask-fields LIST (e.g. password,/user/ssn)");
    assertThatThrownBy(() -> setup("--select-config", tmp.resolve("missing.conf").toString()))
        .hasMessageStartingWith("--select-config: " + tmp.resolve("missing.conf") + " (expected: a readable file)");
  }
}
