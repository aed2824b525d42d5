package dev.extproc.processors;

import com.google.protobuf.ByteString;
import dev.extproc.processors.media.TestMedia;
import java.util.ArrayList;
import java.util.List;

/** Deterministic test bodies and their chunking. */
final class Bodies {
  private Bodies() {}

  static ByteString body(int size, long seed) {
    return ByteString.copyFrom(TestMedia.bytes(size, seed));
  }

  /** Splits {@code body} into chunks of {@code chunk} bytes (the last may be shorter); none for an empty body. */
  static List<ByteString> chunks(ByteString body, int chunk) {
    List<ByteString> chunks = new ArrayList<>();
    for (int at = 0; at < body.size(); at += chunk) {
      chunks.add(body.substring(at, Math.min(body.size(), at + chunk)));
    }
    return chunks;
  }
}
