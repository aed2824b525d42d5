package dev.extproc.transforms;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What a redaction does to a match. Masking keeps the shape: ASCII letters and digits become
 * {@code *}, a non-ASCII character becomes one {@code *}, separators (spaces, dashes, dots, {@code
 * @}) stay.
 */
public sealed interface RedactAction {

  /** Returns the replacement of {@code buffer[from, to)} for rule {@code rule}. */
  byte[] apply(String rule, byte[] buffer, int from, int to);

  /** Every letter and digit masked. */
  record Mask() implements RedactAction {
    @Override
    public byte[] apply(String rule, byte[] buffer, int from, int to) {
      return mask(buffer, from, to, 0);
    }

    @Override
    public String toString() {
      return "mask";
    }
  }

  /** All but the last {@code keep} letters and digits masked. */
  record KeepLast(int keep) implements RedactAction {
    public KeepLast {
      if (keep < 0) {
        throw new IllegalArgumentException("keep-last-" + keep + " (expected: N >= 0)");
      }
    }

    @Override
    public byte[] apply(String rule, byte[] buffer, int from, int to) {
      return mask(buffer, from, to, keep);
    }

    @Override
    public String toString() {
      return "keep-last-" + keep;
    }
  }

  /**
   * Replaced by {@code [rule:hash]}, the hash being the first 16 hex digits of HMAC-SHA256 under
   * {@code key}: equal values give equal tokens (joins still work), the value cannot be read back
   * without the key.
   */
  record KeyedHash(byte[] key) implements RedactAction {
    public KeyedHash {
      requireNonNull(key, "key");
      if (key.length < 16) {
        throw new IllegalArgumentException("hash key: " + key.length + " bytes (expected: >= 16)");
      }
      key = key.clone();
    }

    @Override
    public byte[] apply(String rule, byte[] buffer, int from, int to) {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        mac.update(buffer, from, to - from);
        String hex = HexFormat.of().formatHex(mac.doFinal(), 0, 8);
        return ("[" + rule + ":" + hex + "]").getBytes(StandardCharsets.US_ASCII);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
      }
    }

    @Override
    public String toString() {
      return "hash";
    }
  }

  /** Parses {@code mask}, {@code keep-last-N} or {@code hash}. */
  static RedactAction parse(String text, byte[] hashKey) {
    if (text.equals("mask")) {
      return new Mask();
    }
    if (text.equals("hash")) {
      return new KeyedHash(hashKey);
    }
    if (text.startsWith("keep-last-")) {
      try {
        return new KeepLast(Integer.parseInt(text.substring("keep-last-".length())));
      } catch (NumberFormatException e) {
        // fall through to the error below
      }
    }
    throw new IllegalArgumentException("action " + text + " (expected: mask, keep-last-N or hash)");
  }

  private static byte[] mask(byte[] buffer, int from, int to, int keep) {
    int kept = 0;
    int keepFrom = to;
    for (int i = to - 1; i >= from && kept < keep; i--) {
      if (isMaskable(buffer[i])) {
        kept++;
        keepFrom = i;
      }
    }
    if (kept == 0) {
      keepFrom = to;
    }
    byte[] out = new byte[to - from];
    int n = 0;
    for (int i = from; i < to; i++) {
      byte b = buffer[i];
      if (i >= keepFrom) {
        out[n++] = b;
      } else if ((b & 0xc0) == 0x80) {
        continue; // a UTF-8 continuation byte: its character is already one '*'
      } else if (isMaskable(b)) {
        out[n++] = '*';
      } else {
        out[n++] = b;
      }
    }
    return n == out.length ? out : java.util.Arrays.copyOf(out, n);
  }

  private static boolean isMaskable(byte b) {
    return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || b < 0;
  }
}
