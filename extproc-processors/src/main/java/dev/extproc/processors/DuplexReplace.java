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
  EAGER("eager"),
  /**
   * Paces the replacement by the incoming body: after each incoming chunk (which is dropped),
   * replacement bytes are written only while the bytes written stay at or below the incoming bytes
   * received so far plus a fixed budget ({@link ReplaceProcessorFactory#paceBudgetBytes()}, 1 MiB
   * by default); the rest follows at the end. Envoy sends more of the incoming body only when its
   * upstream drains, so the replacement cannot pile up in Envoy ahead of a slow upstream.
   */
  PACED("paced");

  private final String cliName;

  DuplexReplace(String cliName) {
    this.cliName = cliName;
  }

  /** Returns the name used on the command line ({@code after-end}, {@code eager}, {@code paced}). */
  public String cliName() {
    return cliName;
  }

  /**
   * Returns the strategy named {@code name} ({@code after-end}, {@code eager} or {@code paced}, case-insensitive).
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
    throw new IllegalArgumentException("duplex replace strategy: " + name + " (expected: after-end, eager or paced)");
  }

  @Override
  public String toString() {
    return cliName;
  }
}
