package dev.extproc.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.encoder.Encoder;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import net.logstash.logback.encoder.LogstashEncoder;
import net.logstash.logback.mask.MaskingJsonGeneratorDecorator;
import net.logstash.logback.mask.ValueMasker;
import org.slf4j.LoggerFactory;

/**
 * Sets the server's log output on stderr: {@code text} (one line per event: ISO-8601 time with
 * zone, level, thread, logger, exchange id when there is one, message) or {@code json} (one object
 * per line, Logstash's layout: {@code @timestamp} ISO-8601 with zone, {@code level}, {@code
 * logger_name}, {@code thread_name}, {@code message}, MDC keys such as {@code exchange_id}, {@code
 * stack_trace}). Both redact sensitive header values ({@link Redaction}). Replaces the root
 * logger's appenders; called once, before the server starts.
 */
final class LogSetup {
  static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{36}"
      + "%replace( exchange=%X{exchange_id}){' exchange=$', ''} - %redactedMsg{NAMES}%n%ex";

  private LogSetup() {}

  /** Applies {@code format} ({@code text} or {@code json}); throws IllegalArgumentException naming the option. */
  static void apply(String format, String level, List<String> redactHeaders) {
    Level rootLevel = Level.toLevel(level.trim(), null);
    if (rootLevel == null || rootLevel == Level.ALL) {
      throw new IllegalArgumentException("--log-level: " + level + " (expected: ERROR, WARN, INFO, DEBUG, TRACE or OFF)");
    }
    String normalized = format.trim().toLowerCase(Locale.ROOT);
    if (!normalized.equals("text") && !normalized.equals("json")) {
      throw new IllegalArgumentException("--log-format: " + format + " (expected: text or json)");
    }
    new Redaction(redactHeaders); // validates the names
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return; // another SLF4J backend: its own configuration decides
    }
    Encoder<ILoggingEvent> encoder = encoder(context, normalized, redactHeaders);
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    appender.setName("STDERR");
    appender.setTarget("System.err");
    appender.setEncoder(encoder);
    appender.start();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(rootLevel);
    root.detachAndStopAllAppenders();
    root.addAppender(appender);
  }

  /** Returns a started encoder of {@code format} ({@code text} or {@code json}) for {@code context}. */
  static Encoder<ILoggingEvent> encoder(LoggerContext context, String format, List<String> redactHeaders) {
    return format.equals("json") ? json(context, new Redaction(redactHeaders)) : text(context, redactHeaders);
  }

  private static Encoder<ILoggingEvent> text(LoggerContext context, List<String> redactHeaders) {
    @SuppressWarnings("unchecked")
    Map<String, String> rules = (Map<String, String>) context.getObject(CoreConstants.PATTERN_RULE_REGISTRY);
    if (rules == null) {
      rules = new HashMap<>();
      context.putObject(CoreConstants.PATTERN_RULE_REGISTRY, rules);
    }
    rules.put("redactedMsg", RedactingMessageConverter.class.getName());
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(TEXT_PATTERN.replace("NAMES", String.join(",", redactHeaders)));
    encoder.start();
    return encoder;
  }

  private static Encoder<ILoggingEvent> json(LoggerContext context, Redaction redaction) {
    LogstashEncoder encoder = new LogstashEncoder();
    encoder.setContext(context);
    MaskingJsonGeneratorDecorator masking = new MaskingJsonGeneratorDecorator();
    masking.addValueMasker((ValueMasker) (ctx, value) -> value instanceof CharSequence text
        ? redactedOrNull(redaction, text.toString()) : null);
    masking.start();
    encoder.setJsonGeneratorDecorator(masking);
    encoder.start();
    return encoder;
  }

  private static Object redactedOrNull(Redaction redaction, String text) {
    String redacted = redaction.apply(text);
    return redacted.equals(text) ? null : redacted;
  }
}
