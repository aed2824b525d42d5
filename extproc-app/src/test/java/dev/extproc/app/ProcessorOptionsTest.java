package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.extproc.ExtProcConfig;
import dev.extproc.PassthroughProcessor;
import dev.extproc.ProcessorChain;
import dev.extproc.app.ProcessorOptions.ProcessorSetup;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ProcessorOptionsTest {
  @TempDir Path tmp;

  private static ProcessorOptions parse(String... args) {
    ProcessorOptions options = new ProcessorOptions();
    new CommandLine(options).parseArgs(args);
    return options;
  }

  private static ProcessorSetup setup(String... args) {
    return parse(args).toSetup(ExtProcConfig.defaults());
  }

  @Test
  void default_isPassthrough_withoutGauges() throws Exception {
    ProcessorSetup setup = setup();
    assertThat(setup.factory()).isSameAs(PassthroughProcessor.factory());
    assertThat(setup.gauges()).isEmpty();
    setup.resources().close();
  }

  @Test
  void seedSetup_chainsCaptureAndReplace_andExportsTheirGauges() throws Exception {
    Path request = Files.writeString(tmp.resolve("req.bin"), "request");
    Path response = Files.writeString(tmp.resolve("resp.bin"), "response");

    ProcessorSetup setup =
        setup(
            "--processor", "capture,replace,delay",
            "--write-data-to-file", tmp.resolve("captures").toString(),
            "--replace-request-body", request.toString(),
            "--replace-response-body", response.toString(),
            "--duplex-replace", "eager",
            "--delay", "1ms");

    assertThat(setup.factory()).isNotInstanceOf(ProcessorChain.class); // a factory making chains
    assertThat(setup.gauges())
        .containsOnlyKeys(
            "capture_open_files", "capture_files_completed", "capture_files_partial", "capture_errors",
            "replace_open_files", "replace_errors");
    assertThat(tmp.resolve("captures")).isDirectory();
    setup.resources().close();
  }

  @Test
  void pacedReplace_acceptsAPaceBudget_andRefusesItForTheOtherStrategies() throws Exception {
    Path file = Files.writeString(tmp.resolve("req.bin"), "request");

    ProcessorSetup setup =
        setup("--processor", "replace", "--replace-request-body", file.toString(), "--duplex-replace", "paced",
            "--replace-pace-budget", "256KiB");
    assertThat(setup.gauges()).containsKey("replace_open_files");
    setup.resources().close();
    ProcessorSetup defaultBudget = setup("--processor", "replace", "--replace-request-body", file.toString(), "--duplex-replace", "PACED");
    defaultBudget.resources().close();

    assertThatThrownBy(() -> setup("--processor", "replace", "--replace-request-body", file.toString(), "--replace-pace-budget", "1MiB"))
        .hasMessage("--replace-pace-budget is given but --duplex-replace is after-end (expected: --duplex-replace paced)");
    assertThatThrownBy(
            () -> setup("--processor", "replace", "--replace-request-body", file.toString(), "--duplex-replace", "paced",
                "--replace-pace-budget", "a lot"))
        .hasMessage("--replace-pace-budget: a lot (expected: a byte count such as 65536, 256KiB or 1MiB)");
    assertThatThrownBy(() -> setup("--replace-pace-budget", "1MiB"))
        .hasMessageContaining("--replace-pace-budget is given but replace is not in --processor");
  }

  @Test
  void unknownProcessor_isAClearError() {
    assertThatThrownBy(() -> setup("--processor", "capture,compress"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--processor: compress (expected: a comma-separated list of passthrough, capture, replace, delay, redact, json-mask, limit)");
  }

  @Test
  void missingOptions_areClearErrors() {
    assertThatThrownBy(() -> setup("--processor", "capture"))
        .hasMessage("--processor capture needs --capture-dir DIR (alias --write-data-to-file DIR)");
    assertThatThrownBy(() -> setup("--processor", "replace"))
        .hasMessage("--processor replace needs --replace-request-body FILE and/or --replace-response-body FILE");
  }

  @Test
  void optionsOfAProcessorNotInTheChain_areRefused() {
    assertThatThrownBy(() -> setup("--capture-dir", tmp.toString()))
        .hasMessageContaining("--capture-dir is given but capture is not in --processor");
  }

  @Test
  void badValues_nameTheirOption() throws Exception {
    Path file = Files.writeString(tmp.resolve("f"), "x");
    assertThatThrownBy(() -> setup("--processor", "replace", "--replace-request-body", tmp.resolve("missing").toString()))
        .hasMessageContaining("--replace-request-body: ")
        .hasMessageContaining("expected: a readable regular file");
    assertThatThrownBy(() -> setup("--processor", "replace", "--replace-request-body", file.toString(), "--duplex-replace", "later"))
        .hasMessage("--duplex-replace: later (expected: after-end, eager or paced)");
    assertThatThrownBy(() -> setup("--processor", "delay", "--delay", "a while"))
        .hasMessage("--delay: a while (expected: e.g. 1ms, 250us, 2s)");
    assertThatThrownBy(() -> setup("--processor", "capture", "--capture-dir", file.resolve("sub").toString()))
        .hasMessageStartingWith("--capture-dir: ");
    assertThatThrownBy(() -> setup("--processor", "capture,capture", "--capture-dir", tmp.toString()))
        .hasMessageContaining("appears twice");
  }
}
