package dev.extproc.transforms;

import com.google.protobuf.ByteString;
import dev.extproc.Direction;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExchangeInfo;
import dev.extproc.HttpHeaders;
import dev.extproc.Processing;
import dev.extproc.ProcessorFactory;
import java.util.concurrent.CompletionStage;

/**
 * The {@code limit} processor: refuses bodies over a size. A {@code content-length} over the limit
 * is refused in the headers event, before any body byte passes (413 for a request, 502 for a
 * response); a body without one that grows past the limit is stopped at the chunk that crosses it:
 * a request gets 413 (the upstream sees a reset, never the end of the body), a response stream is
 * failed so Envoy resets it (the client never sees a complete 200). Bodies within the limit pass
 * through without a copy. Memory: two counters.
 */
public final class LimitProcessorFactory implements ProcessorFactory {
  /** No limit. */
  public static final long UNLIMITED = -1;

  private final long maxRequestBytes;
  private final long maxResponseBytes;

  /** Each limit in bytes, or {@link #UNLIMITED}. */
  public LimitProcessorFactory(long maxRequestBytes, long maxResponseBytes) {
    if (maxRequestBytes < UNLIMITED || maxResponseBytes < UNLIMITED) {
      throw new IllegalArgumentException("limits: " + maxRequestBytes + ", " + maxResponseBytes + " (expected: >= 0, or -1 for none)");
    }
    this.maxRequestBytes = maxRequestBytes;
    this.maxResponseBytes = maxResponseBytes;
  }

  @Override
  public ExchangeHandler newProcessor(ExchangeInfo exchange) {
    return ExchangeHandler.of(new Limit(maxRequestBytes, "--max-request-body"), new Limit(maxResponseBytes, "--max-response-body"));
  }

  /** One direction's limit. */
  private static final class Limit implements DirectionProcessor {
    private final long max;
    private final String option;
    private long seen;
    private boolean refused;

    Limit(long max, String option) {
      this.max = max;
      this.option = option;
    }

    @Override
    public CompletionStage<Void> onHeaders(DirectionContext ctx, HttpHeaders headers, boolean endOfStream) {
      long length = headers.contentLength();
      if (max >= 0 && length > max) {
        refused = true;
        return Failures.fail(ctx, "limit", new TransformException(413,
            what(ctx) + " content-length " + length + " exceeds " + option + " " + max), true);
      }
      return Processing.done();
    }

    @Override
    public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
      if (refused) {
        return Processing.done();
      }
      seen += chunk.size();
      if (max >= 0 && seen > max) {
        refused = true;
        return Failures.fail(ctx, "limit", new TransformException(413,
            what(ctx) + " body exceeds " + option + " " + max + " (" + seen + " bytes so far)"), false);
      }
      return ctx.passThrough(chunk);
    }

    private static String what(DirectionContext ctx) {
      return ctx.direction() == Direction.REQUEST ? "request" : "response";
    }
  }

  @Override
  public String toString() {
    return "limit[request=" + maxRequestBytes + ", response=" + maxResponseBytes + "]";
  }
}
