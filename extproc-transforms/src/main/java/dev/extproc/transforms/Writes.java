package dev.extproc.transforms;

import com.google.protobuf.ByteString;
import dev.extproc.DirectionContext;
import dev.extproc.Processing;
import java.util.concurrent.CompletionStage;

/** Writes output of any size in pieces, each after the previous write's stage completed. */
public final class Writes {
  /** The largest piece written at once: within every output budget the engine allows. */
  public static final int PIECE_BYTES = 64 * 1024;

  private Writes() {}

  /**
   * Writes {@code data} to {@code ctx} in pieces of at most {@link #PIECE_BYTES}, each after the
   * previous stage completed (so FULL_DUPLEX_STREAMED flow control holds), and returns the last
   * stage.
   */
  public static CompletionStage<Void> all(DirectionContext ctx, ByteString data) {
    if (data.isEmpty()) {
      return Processing.done();
    }
    return from(ctx, data, 0);
  }

  private static CompletionStage<Void> from(DirectionContext ctx, ByteString data, int offset) {
    int end = Math.min(data.size(), offset + PIECE_BYTES);
    CompletionStage<Void> stage = ctx.write(data.substring(offset, end));
    return end == data.size() ? stage : stage.thenCompose(ignored -> from(ctx, data, end));
  }
}
