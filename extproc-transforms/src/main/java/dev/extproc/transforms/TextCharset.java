package dev.extproc.transforms;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * What a {@code content-type} says about text: whether the body is text or JSON, and its
 * charset. The byte-level transforms here handle UTF-8 and the single-byte ASCII-compatible
 * charsets US-ASCII and ISO-8859-1; every other named charset (UTF-16, Shift_JIS, ...) is refused
 * with status 415, because an ASCII pattern could match part of one of their characters.
 *
 * @param mediaType the media type, lower case, without parameters ("" when absent)
 * @param charset the charset parameter, lower case, or "" when absent
 */
public record TextCharset(String mediaType, String charset) {

  /** Parses {@code contentType} (may be null). */
  public static TextCharset of(@Nullable String contentType) {
    if (contentType == null) {
      return new TextCharset("", "");
    }
    String[] parts = contentType.split(";");
    String media = parts[0].trim().toLowerCase(Locale.ROOT);
    String charset = "";
    for (int i = 1; i < parts.length; i++) {
      String param = parts[i].trim();
      int eq = param.indexOf('=');
      if (eq > 0 && param.substring(0, eq).trim().equalsIgnoreCase("charset")) {
        charset = param.substring(eq + 1).trim().replace("\"", "").toLowerCase(Locale.ROOT);
      }
    }
    return new TextCharset(media, charset);
  }

  /** Returns whether the media type is JSON ({@code application/json} or {@code +json}). */
  public boolean isJson() {
    return mediaType.equals("application/json") || mediaType.endsWith("+json");
  }

  /** Returns whether the body is text that should be valid UTF-8 (text/* or JSON, charset UTF-8 or none). */
  public boolean expectsUtf8() {
    boolean text = mediaType.startsWith("text/") || isJson();
    return text && (charset.isEmpty() || charset.equals("utf-8") || charset.equals("utf8"));
  }

  /**
   * Throws status 415 when the charset is one the byte-level transforms cannot handle safely.
   *
   * @param who the processor, for the message
   */
  public void requireAsciiCompatible(String who) {
    switch (charset) {
      case "":
      case "utf-8":
      case "utf8":
      case "us-ascii":
      case "ascii":
      case "iso-8859-1":
      case "latin1":
        return;
      default:
        throw new TransformException(415, who + ": charset " + charset
            + " is not supported (expected: utf-8, us-ascii or iso-8859-1)");
    }
  }
}
