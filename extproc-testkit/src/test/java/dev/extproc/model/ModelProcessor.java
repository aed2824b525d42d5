package dev.extproc.model;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.HttpHeaders;
import dev.extproc.Processing;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The processor the model test drives: applies a {@link Transform}, optionally holds bytes back,
 * completes its stages later on another thread, writes early in {@code onHeaders}, and asks for a
 * mode override. It waits for every write's stage before writing more, as the API asks, and splits
 * output into writes of at most {@link #WRITE_BYTES}.
 */
final class ModelProcessor implements DirectionProcessor {
  static final int WRITE_BYTES = 16 * 1024;

  private final DirectionSpec spec;
  private final @Nullable ProcessingMode override;
  /** Borrows chunks (zero-copy): then the carry kept across chunks is copied, as the contract asks. */
  private final boolean borrows;
  private long offset;
  private ByteString carry = ByteString.EMPTY;

  ModelProcessor(DirectionSpec spec, @Nullable ProcessingMode override) {
    this(spec, override, false);
  }

  ModelProcessor(DirectionSpec spec, @Nullable ProcessingMode override, boolean borrows) {
    this.spec = spec;
    this.override = override;
    this.borrows = borrows;
  }

  @Override
  public boolean borrowsChunks() {
    return borrows;
  }

  @Override
  public boolean holdsBack() {
    return spec.holdBack() > 0;
  }

  @Override
  public CompletionStage<Void> onHeaders(DirectionContext ctx, HttpHeaders headers, boolean endOfStream) {
    if (override != null) {
      ctx.exchange().overrideMode(override);
    }
    if (spec.prefix().isEmpty() || (ctx.bodyMode() == BodyMode.NONE && !endOfStream)) {
      return Processing.done();
    }
    return later(ctx, () -> writeAll(ctx, spec.prefix()));
  }

  @Override
  public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
    return later(ctx, () -> {
      if (spec.passThrough() && spec.transform() == Transform.IDENTITY && spec.holdBack() == 0) {
        offset += chunk.size();
        return ctx.passThrough(chunk);
      }
      ByteString all = carry.concat(spec.transform().apply(chunk, offset));
      offset += chunk.size();
      int keep = Math.min(spec.holdBack(), all.size());
      carry = all.substring(all.size() - keep);
      if (borrows) {
        carry = ByteString.copyFrom(carry.toByteArray()); // kept beyond the stage: copied
      }
      return writeAll(ctx, all.substring(0, all.size() - keep));
    });
  }

  @Override
  public CompletionStage<Void> onEnd(DirectionContext ctx) {
    return later(ctx, () -> {
      ByteString tail = carry;
      carry = ByteString.EMPTY;
      return writeAll(ctx, tail);
    });
  }

  /** Runs {@code work} now, or (async) on the exchange's scheduler a little later, completing with its stage. */
  private CompletionStage<Void> later(DirectionContext ctx, Supplier<CompletionStage<Void>> work) {
    if (!spec.async()) {
      return work.get();
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    ctx.exchange().scheduler().schedule(() -> {
      try {
        work.get().whenComplete((ignored, error) -> {
          if (error != null) {
            done.completeExceptionally(error);
          } else {
            done.complete(null);
          }
        });
      } catch (RuntimeException e) {
        done.completeExceptionally(e);
      }
    }, 50, TimeUnit.MICROSECONDS);
    return done;
  }

  /** Writes {@code data} in pieces, each after the previous one's stage completed. */
  private static CompletionStage<Void> writeAll(DirectionContext ctx, ByteString data) {
    CompletionStage<Void> stage = Processing.done();
    for (int start = 0; start < data.size(); start += WRITE_BYTES) {
      ByteString piece = data.substring(start, Math.min(data.size(), start + WRITE_BYTES));
      stage = stage.thenCompose(ignored -> ctx.write(piece));
    }
    return stage;
  }
}
