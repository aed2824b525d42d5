package dev.extproc.bench;

import java.util.Locale;

/** Human formats for reports. */
public final class Format {

  private Format() {}

  /** Returns bytes as MiB with one decimal ({@code 151.7 MiB}), or {@code n/a} for null. */
  public static String mib(Long bytes) {
    return bytes == null ? "n/a" : String.format(Locale.ROOT, "%.1f MiB", bytes / 1024.0 / 1024.0);
  }

  /** Returns a number with one decimal, or {@code n/a} for null. */
  public static String one(Double value) {
    return value == null ? "n/a" : String.format(Locale.ROOT, "%.1f", value);
  }

  /** Returns a number with two decimals, or {@code n/a} for null. */
  public static String two(Double value) {
    return value == null ? "n/a" : String.format(Locale.ROOT, "%.2f", value);
  }

  /** Returns a ratio with two decimals and an x, or {@code n/a}. */
  public static String ratio(Double value) {
    return value == null ? "n/a" : String.format(Locale.ROOT, "%.2f x", value);
  }

  /**
   * Parses a size such as {@code 256KiB}, {@code 70.4MiB}, {@code 1GiB}, {@code 1048576} (bytes); {@code k/m/g}
   * and {@code KB/MB/GB} are read as powers of 1024 too.
   */
  public static long parseSize(String text) {
    String s = text.trim().toLowerCase(Locale.ROOT).replace(" ", "");
    long unit = 1;
    String number = s;
    String[][] units = {{"gib", "gb", "g"}, {"mib", "mb", "m"}, {"kib", "kb", "k"}, {"b"}};
    long[] factors = {1L << 30, 1L << 20, 1L << 10, 1};
    outer:
    for (int i = 0; i < units.length; i++) {
      for (String suffix : units[i]) {
        if (s.endsWith(suffix)) {
          unit = factors[i];
          number = s.substring(0, s.length() - suffix.length());
          break outer;
        }
      }
    }
    try {
      double value = Double.parseDouble(number);
      if (value < 0 || Double.isNaN(value) || Double.isInfinite(value)) {
        throw new NumberFormatException();
      }
      return Math.round(value * unit);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("size: " + text + " (expected: bytes or a number with KiB, MiB or GiB, such as 256KiB)");
    }
  }
}
