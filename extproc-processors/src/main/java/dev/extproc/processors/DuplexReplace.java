package dev.extproc.processors;

import java.util.Locale;

/** How {@code replace} streams a replacement body in FULL_DUPLEX_STREAMED mode. */
public enum DuplexReplace {
  /**
   * The seed's strategy: consume (drop) the whole incoming body, then stream the replacement once
   * the body ended. Nothing reaches the other side before the incoming body is complete.
   */
  AFTER_END("after-end"),
  /**
   * Start streaming the replacement with the first incoming chunk, consuming the incoming body
   * alongside: each incoming chunk releases max(64 KiB, 1.25 x its size) of the replacement,
   * and the rest follows at the end.
   */
  EAGER("eager");

  private final String cliName;

  DuplexReplace(String cliName) {
    this.cliName = cliName;
  }

  /** Returns the name used on the command line ({@code after-end}, {@code eager}). */
  public String cliName() {
    return cliName;
  }

  /**
   * Returns the strategy named {@code name} ({@code after-end} or {@code eager}, case-insensitive).
   *
   * @throws IllegalArgumentException for any other name
   */
  public static DuplexReplace parse(String name) {
    String wanted = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    for (DuplexReplace value : values()) {
      if (value.cliName.equals(wanted)) {
        return value;
      }
    }
    throw new IllegalArgumentException("duplex replace strategy: " + name + " (expected: after-end or eager)");
  }

  @Override
  public String toString() {
    return cliName;
  }
}
