package dev.extproc.app;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses sizes ({@code 65536}, {@code 64KiB}, {@code 64k}, {@code 1MiB}) and durations ({@code 10s}, {@code 500ms}, {@code 250us}, {@code 1m}, {@code 1h}; a bare number is seconds). */
final class Sizes {
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmg]?)(i?b)?");
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(us|ms|s|m|h)?");

  private Sizes() {}

  /** Returns the byte count {@code text} names; sizes are binary (1k = 1KiB = 1024). */
  static long parseBytes(String text) {
    Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("size: " + text + " (expected: a byte count such as 65536, 64KiB or 1MiB)");
    }
    long value = Long.parseLong(m.group(1));
    switch (m.group(2)) {
      case "k": return value << 10;
      case "m": return value << 20;
      case "g": return value << 30;
      default: return value;
    }
  }

  static Duration parseDuration(String text) {
    Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("duration: " + text + " (expected: e.g. 250us, 500ms, 10s, 1m)");
    }
    long value = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    switch (unit) {
      case "us": return Duration.ofNanos(value * 1000);
      case "ms": return Duration.ofMillis(value);
      case "m": return Duration.ofMinutes(value);
      case "h": return Duration.ofHours(value);
      default: return Duration.ofSeconds(value);
    }
  }

  /** picocli converter to an int byte count. */
  static final class IntBytes implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      try {
        long bytes = parseBytes(value);
        if (bytes > Integer.MAX_VALUE) {
          throw new TypeConversionException("size: " + value + " (expected: at most " + Integer.MAX_VALUE + " bytes)");
        }
        return (int) bytes;
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** picocli converter to a Duration. */
  static final class Durations implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return parseDuration(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
