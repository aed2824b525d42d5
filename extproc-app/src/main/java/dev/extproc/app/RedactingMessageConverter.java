package dev.extproc.app;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback's {@code %msg} with sensitive header values redacted ({@link Redaction}); the names come
 * from the converter's options ({@code %redactedMsg{x-api-key,x-token}}). Used by the text format;
 * called on the logging thread, stateless after start.
 */
public final class RedactingMessageConverter extends ClassicConverter {
  private Redaction redaction = new Redaction(java.util.List.of());

  @Override
  public void start() {
    java.util.List<String> options = getOptionList();
    redaction = new Redaction(options == null ? java.util.List.of() : options);
    super.start();
  }

  @Override
  public String convert(ILoggingEvent event) {
    return redaction.apply(event.getFormattedMessage());
  }
}
