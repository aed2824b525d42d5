package dev.extproc.transforms;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Ways to cut a body into chunks, for tests that must not depend on where chunks end. */
final class Chunkings {
  private Chunkings() {}

  /** Cuts {@code body} at {@code cut}: two chunks (one when the cut is at an end). */
  static List<ByteString> splitAt(ByteString body, int cut) {
    List<ByteString> chunks = new ArrayList<>();
    if (cut > 0) {
      chunks.add(body.substring(0, cut));
    }
    if (cut < body.size()) {
      chunks.add(body.substring(cut));
    }
    return chunks;
  }

  /** Cuts {@code body} into chunks of random sizes, log-uniform between 1 B and {@code maxChunk}. */
  static List<ByteString> random(ByteString body, Random random, int maxChunk) {
    List<ByteString> chunks = new ArrayList<>();
    int at = 0;
    double logMax = Math.log(maxChunk);
    while (at < body.size()) {
      int size = (int) Math.max(1, Math.min(maxChunk, Math.round(Math.exp(random.nextDouble() * logMax))));
      int end = Math.min(body.size(), at + size);
      chunks.add(body.substring(at, end));
      at = end;
    }
    return chunks;
  }

  /** Cuts {@code body} into chunks of exactly {@code size} bytes (the last may be shorter). */
  static List<ByteString> fixed(ByteString body, int size) {
    List<ByteString> chunks = new ArrayList<>();
    for (int at = 0; at < body.size(); at += size) {
      chunks.add(body.substring(at, Math.min(body.size(), at + size)));
    }
    return chunks;
  }

  /** Runs {@code transform} (new per call) over {@code chunks} and returns the whole output. */
  static ByteString run(BodyTransform transform, List<ByteString> chunks) {
    ByteString out = ByteString.EMPTY;
    for (ByteString chunk : chunks) {
      out = out.concat(transform.apply(chunk));
    }
    return out.concat(transform.finish());
  }
}
