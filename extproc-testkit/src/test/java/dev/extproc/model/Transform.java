package dev.extproc.model;

import com.google.protobuf.ByteString;

/** What a model processor does to the body bytes; each is independent of how the body is chunked. */
enum Transform {
  /** Output = input. */
  IDENTITY,
  /** Every byte twice. */
  EXPAND,
  /** Every byte at an odd position of the whole body dropped. */
  SHRINK;

  /** Applies this transform to {@code chunk}, which starts at body offset {@code offset}. */
  ByteString apply(ByteString chunk, long offset) {
    switch (this) {
      case IDENTITY:
        return chunk;
      case EXPAND: {
        byte[] out = new byte[chunk.size() * 2];
        for (int i = 0; i < chunk.size(); i++) {
          out[2 * i] = chunk.byteAt(i);
          out[2 * i + 1] = chunk.byteAt(i);
        }
        return ByteString.copyFrom(out);
      }
      case SHRINK: {
        ByteString.Output out = ByteString.newOutput(chunk.size() / 2 + 1);
        for (int i = 0; i < chunk.size(); i++) {
          if ((offset + i) % 2 == 0) {
            out.write(chunk.byteAt(i));
          }
        }
        return out.toByteString();
      }
      default:
        throw new AssertionError(this);
    }
  }
}
