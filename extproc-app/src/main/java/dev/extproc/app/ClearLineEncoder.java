package dev.extproc.app;

import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.extproc.bench.Terminal;
import java.nio.charset.StandardCharsets;

/**
 * The log encoder of the {@code extproc} commands: on an interactive terminal every log line starts
 * by clearing the current line, so a log line written while the bench's progress line is shown
 * replaces it instead of being glued to it. Elsewhere (files, CI, child processes) lines are left as
 * the pattern makes them.
 */
public final class ClearLineEncoder extends PatternLayoutEncoder {

  private static final byte[] CLEAR = Terminal.CLEAR_LINE.getBytes(StandardCharsets.US_ASCII);

  private boolean interactive = Terminal.interactive(System.getenv());

  /** For tests: whether lines start with the clear-line codes. */
  void setInteractive(boolean interactive) {
    this.interactive = interactive;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    byte[] line = super.encode(event);
    if (!interactive) {
      return line;
    }
    byte[] cleared = new byte[CLEAR.length + line.length];
    System.arraycopy(CLEAR, 0, cleared, 0, CLEAR.length);
    System.arraycopy(line, 0, cleared, CLEAR.length, line.length);
    return cleared;
  }
}
