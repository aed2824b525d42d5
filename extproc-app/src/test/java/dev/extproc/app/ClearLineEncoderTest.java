package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ClearLineEncoderTest {

  private static String encode(boolean interactive) {
    LoggerContext context = new LoggerContext();
    ClearLineEncoder encoder = new ClearLineEncoder();
    encoder.setContext(context);
    encoder.setPattern("%msg%n");
    encoder.setInteractive(interactive);
    encoder.start();
    LoggingEvent event = new LoggingEvent("x", context.getLogger("t"), Level.INFO, "local stack up", null, null);
    return new String(encoder.encode(event), StandardCharsets.UTF_8);
  }

  @Test
  void onATerminal_aLogLineFirstClearsTheProgressLine() {
    assertThat(encode(true)).isEqualTo("\r\033[Klocal stack up" + System.lineSeparator());
  }

  @Test
  void elsewhere_theLineIsUnchanged() {
    assertThat(encode(false)).isEqualTo("local stack up" + System.lineSeparator());
  }
}
