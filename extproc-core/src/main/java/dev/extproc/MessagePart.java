package dev.extproc;

/** The kind of an ext_proc message, without its direction; for observers and metrics. */
public enum MessagePart {
  HEADERS,
  BODY,
  TRAILERS,
  /** An immediate response (sent only). */
  IMMEDIATE_RESPONSE;

  /** Returns the lower-case name used in metrics ({@code headers}, {@code body}, ...). */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
