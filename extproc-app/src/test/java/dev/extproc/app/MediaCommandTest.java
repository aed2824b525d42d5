package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MediaCommandTest {
  @TempDir Path tmp;

  private int run(StringWriter out, String... args) {
    CommandLine cli = ExtProcMain.newCommandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(out));
    return cli.execute(args);
  }

  @Test
  void writesTheThreeFiles_thenKeepsThem() throws Exception {
    StringWriter first = new StringWriter();
    StringWriter second = new StringWriter();

    assertThat(run(first, "media", "--dir", tmp.toString(), "--scale", "0.001")).isZero();
    assertThat(run(second, "media", "--dir", tmp.toString(), "--scale", "0.001")).isZero();

    assertThat(first.toString()).contains("input.mp4 73819 bytes sha256=", "request-replacement.mp4 81788 bytes", "generated");
    assertThat(second.toString()).contains("kept").doesNotContain("generated");
    assertThat(Files.size(tmp.resolve("response-replacement.mp4"))).isEqualTo(22_963L);
  }

  @Test
  void badScale_isAClearError() {
    StringWriter out = new StringWriter();
    assertThat(run(out, "media", "--dir", tmp.toString(), "--scale", "0")).isEqualTo(2);
    assertThat(out.toString()).contains("--scale: 0.0 (expected: > 0)");
  }
}
