package dev.extproc.transforms;

import com.google.protobuf.ByteString;

/**
 * Validates UTF-8 strictly (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF) and
 * emits only whole characters: an incomplete character at the end of a chunk is held (at most 3
 * bytes) until the next chunk completes it. A text transform placed after it can decode every
 * output chunk on its own without splitting a character.
 *
 * <p>Invalid input throws {@link TransformException} with status 400 and the byte offset. Memory:
 * 3 bytes.
 */
public final class Utf8Boundaries implements BodyTransform {
  private final CarryBuffer partial = new CarryBuffer(3);
  private long offset;

  @Override
  public ByteString apply(ByteString chunk) {
    byte[] work = new byte[partial.size() + chunk.size()];
    int held = partial.size();
    partial.copyTo(work, 0);
    partial.skip(held);
    chunk.copyTo(work, held);
    int complete = validate(work, offset - held);
    partial.append(work, complete, work.length - complete);
    offset += chunk.size();
    return complete == work.length ? ByteString.copyFrom(work) : ByteString.copyFrom(work, 0, complete);
  }

  @Override
  public ByteString finish() {
    if (!partial.isEmpty()) {
      throw new TransformException(400, "invalid UTF-8: the body ends inside a character at byte " + (offset - partial.size()));
    }
    return ByteString.EMPTY;
  }

  /** Returns the length of the prefix made of whole characters; throws on an invalid sequence. */
  static int validate(byte[] b, long baseOffset) {
    int i = 0;
    int n = b.length;
    while (i < n) {
      int c = b[i] & 0xff;
      if (c < 0x80) {
        i++;
        continue;
      }
      int need;
      int min2 = 0x80;
      int max2 = 0xbf;
      if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
      } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        if (c == 0xe0) {
          min2 = 0xa0;
        } else if (c == 0xed) {
          max2 = 0x9f;
        }
      } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        if (c == 0xf0) {
          min2 = 0x90;
        } else if (c == 0xf4) {
          max2 = 0x8f;
        }
      } else {
        throw invalid(baseOffset + i, c);
      }
      for (int k = 1; k <= need; k++) {
        if (i + k >= n) {
          return i; // incomplete: hold it
        }
        int cc = b[i + k] & 0xff;
        int lo = k == 1 ? min2 : 0x80;
        int hi = k == 1 ? max2 : 0xbf;
        if (cc < lo || cc > hi) {
          throw invalid(baseOffset + i + k, cc);
        }
      }
      i += need + 1;
    }
    return n;
  }

  private static TransformException invalid(long at, int value) {
    return new TransformException(400, String.format("invalid UTF-8: byte 0x%02x at offset %d", value, at));
  }
}
