package dev.extproc.conformance;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ExchangeProcessor;
import dev.extproc.MessageContext;
import dev.extproc.Processing;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Digest;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.CompletionStage;

/** Small processors and helpers for the conformance tests. */
final class TestProcessors {
  private TestProcessors() {}

  static final byte XOR = 0x5A;

  /** Flips bits of every byte: same length, different bytes, in every mode. */
  static class XorProcessor implements ExchangeProcessor {
    @Override
    public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
      return ctx.write(xor(chunk));
    }
  }

  /** Drops the input body and writes {@code replacement} at its end: output length != input length. */
  static final class ReplacingProcessor implements ExchangeProcessor {
    private final ByteString replacement;

    ReplacingProcessor(ByteString replacement) {
      this.replacement = replacement;
    }

    @Override
    public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
      return Processing.done();
    }

    @Override
    public CompletionStage<Void> onEnd(MessageContext ctx) {
      if (ctx.bodyMode() == BodyMode.NONE || ctx.bodyMode() == BodyMode.BUFFERED_PARTIAL) {
        return Processing.done();
      }
      return ctx.write(replacement);
    }
  }

  static ByteString xor(ByteString chunk) {
    byte[] bytes = chunk.toByteArray();
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] ^= XOR;
    }
    return ByteString.copyFrom(bytes);
  }

  /** Returns the digest of {@code source} with every byte XORed. */
  static Digest xorDigest(BodySource source) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      try (BodySource.Reader reader = source.open()) {
        ByteString chunk;
        while (!(chunk = reader.read(256 * 1024)).isEmpty()) {
          sha.update(xor(chunk).toByteArray());
        }
      }
      return new Digest(source.length(), HexFormat.of().formatHex(sha.digest()));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static Direction other(Direction direction) {
    return direction == Direction.REQUEST ? Direction.RESPONSE : Direction.REQUEST;
  }
}
