package dev.extproc.transforms;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The {@code content-encoding}s the transforms decode: identity, gzip (and x-gzip) and deflate.
 * {@code br} and {@code zstd} are refused with status 415: the Java libraries for them on Maven
 * Central (brotli4j, zstd-jni) wrap native code, which this toolkit does not ship; pure-Java
 * decoders exist only for brotli and are not maintained alike. Several codings stacked ("gzip,
 * gzip") are refused too.
 */
public enum ContentCoding {
  IDENTITY("identity"),
  GZIP("gzip"),
  DEFLATE("deflate");

  private final String token;

  ContentCoding(String token) {
    this.token = token;
  }

  /** Returns the header token. */
  public String token() {
    return token;
  }

  /**
   * Parses a {@code content-encoding} value (null or empty: identity).
   *
   * @throws TransformException with status 415 naming the coding, when it is not supported
   */
  public static ContentCoding of(@Nullable String contentEncoding) {
    if (contentEncoding == null || contentEncoding.isBlank()) {
      return IDENTITY;
    }
    String value = contentEncoding.trim().toLowerCase(Locale.ROOT);
    switch (value) {
      case "identity":
        return IDENTITY;
      case "gzip":
      case "x-gzip":
        return GZIP;
      case "deflate":
        return DEFLATE;
      default:
        throw new TransformException(415, "content-encoding " + contentEncoding
            + " is not supported (expected: gzip, deflate or identity)");
    }
  }

  /** The {@code accept-encoding} value to ask upstreams for codings this toolkit decodes. */
  public static final String ACCEPT = "gzip, deflate";
}
