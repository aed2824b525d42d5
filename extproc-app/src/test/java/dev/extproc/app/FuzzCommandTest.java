package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

class FuzzCommandTest {
  private int run(StringWriter out, String... args) {
    CommandLine cli = ExtProcMain.newCommandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(out));
    return cli.execute(args);
  }

  @Test
  @Timeout(60)
  void aShortCleanRun_printsTheSeedAndTheCounts_exitsZero() {
    StringWriter out = new StringWriter();

    int exit = run(out, "fuzz", "--streams", "100", "--seed", "42", "--kinds", "PLAUSIBLE,UNKNOWN_FIELDS");

    assertThat(out.toString())
        .contains("extproc fuzz: seed 42, 100 streams", "PLAUSIBLE: {", "UNKNOWN_FIELDS: {", "active_streams=0", "result: OK");
    assertThat(exit).as("%s", out).isZero();
  }

  @Test
  void badOptions_areOneLineErrorsNamingTheOption() {
    StringWriter streams = new StringWriter();
    StringWriter share = new StringWriter();
    StringWriter kind = new StringWriter();

    assertThat(run(streams, "fuzz", "--streams", "0")).isEqualTo(2);
    assertThat(run(share, "fuzz", "--netty-share", "1.5")).isEqualTo(2);
    assertThat(run(kind, "fuzz", "--kinds", "NOPE")).isEqualTo(2);

    assertThat(streams.toString()).contains("extproc fuzz: --streams: 0 (expected: >= 1)");
    assertThat(share.toString()).contains("extproc fuzz: --netty-share: 1.5 (expected: 0 to 1)");
    assertThat(kind.toString()).contains("--kinds").contains("NOPE");
  }
}
