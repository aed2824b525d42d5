package dev.extproc.transforms;

/**
 * The decompression-bomb guard of a decoder: the decoded body may be at most {@code maxRatio}
 * times the encoded bytes read so far (checked once the decoded size passes {@code
 * ratioGraceBytes}, so small, very compressible bodies pass) and at most {@code maxDecodedBytes}
 * in all. A body past either limit fails with status 413 and a reason naming the limit.
 *
 * @param maxRatio decoded / encoded bytes, at most
 * @param maxDecodedBytes decoded bytes in all, at most
 * @param ratioGraceBytes decoded bytes below which the ratio is not checked
 */
public record DecodeLimits(long maxRatio, long maxDecodedBytes, long ratioGraceBytes) {

  /** Ratio 100, 1 GiB decoded, 1 MiB grace. */
  public static final DecodeLimits DEFAULT = new DecodeLimits(100, 1L << 30, 1L << 20);

  public DecodeLimits {
    if (maxRatio < 1 || maxDecodedBytes < 1 || ratioGraceBytes < 0) {
      throw new IllegalArgumentException("decode limits: ratio " + maxRatio + ", max " + maxDecodedBytes
          + ", grace " + ratioGraceBytes + " (expected: ratio >= 1, max >= 1, grace >= 0)");
    }
  }

  void check(String coding, long encoded, long decoded) {
    if (decoded > maxDecodedBytes) {
      throw new TransformException(413, coding + " body decodes to more than " + maxDecodedBytes
          + " bytes (decompression limit)");
    }
    if (decoded > ratioGraceBytes && decoded > maxRatio * Math.max(1, encoded)) {
      throw new TransformException(413, coding + " body expands more than " + maxRatio + " times ("
          + encoded + " B -> " + decoded + " B so far; decompression-bomb guard)");
    }
  }
}
