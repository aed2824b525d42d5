package dev.extproc.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressDisplayTest {

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  private String printed() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void afterDone_nothingIsRedrawn_soTheNextOutputStartsOnItsOwnLine() {
    try (ProgressDisplay display = new ProgressDisplay(out, true, false)) {
      display.phase("seed /streamed c=10", null);
      display.tick();
      assertThat(display.done("10/10 verified")).isTrue();
      int afterDone = printed().length();

      display.tick();

      assertThat(printed()).hasSize(afterDone).endsWith("\r\033[Kseed /streamed c=10: 10/10 verified\n");
    }
  }

  @Test
  void closingDuringAPhase_clearsItsLine() {
    ProgressDisplay display = new ProgressDisplay(out, true, false);
    display.phase("warming up", null);

    display.close();

    assertThat(printed()).isEqualTo("\r\033[Kwarming up\r\033[K");
  }

  @Test
  void quiet_printsNothing_andTellsTheCallerToLogTheSummary() {
    try (ProgressDisplay display = new ProgressDisplay(out, false, false)) {
      display.phase("x", null);
      display.tick();
      assertThat(display.done("summary")).isFalse();
    }
    assertThat(printed()).isEmpty();
  }
}
