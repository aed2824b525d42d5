package dev.extproc.internal;

import com.google.protobuf.ByteString;
import dev.extproc.Direction;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExchangeProcessor;
import dev.extproc.HttpHeaders;
import dev.extproc.MessageContext;
import java.util.concurrent.CompletionStage;

/**
 * Temporary: lets the first engine drive an {@link ExchangeHandler} of two {@link
 * DirectionProcessor}s through the {@link ExchangeProcessor} methods it knows. Removed by the
 * engine v2 rewrite.
 */
public final class LegacyBridge {
  private LegacyBridge() {}

  /** Returns {@code handler} as an {@link ExchangeProcessor}. */
  public static ExchangeProcessor asProcessor(ExchangeHandler handler) {
    if (handler instanceof ExchangeProcessor) {
      return (ExchangeProcessor) handler;
    }
    DirectionProcessor request = handler.request();
    DirectionProcessor response = handler.response();
    return new ExchangeProcessor() {
      private DirectionProcessor of(MessageContext ctx) {
        return ctx.direction() == Direction.REQUEST ? request : response;
      }

      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        return of(ctx).onHeaders(ctx, headers, endOfStream);
      }

      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        return of(ctx).onBody(ctx, chunk, false);
      }

      @Override
      public CompletionStage<Void> onEnd(MessageContext ctx) {
        return of(ctx).onEnd(ctx);
      }

      @Override
      public CompletionStage<Void> onTrailers(MessageContext ctx, HttpHeaders trailers) {
        return of(ctx).onTrailers(ctx, trailers);
      }

      @Override
      public void onClose(ExchangeOutcome outcome) {
        handler.onClose(outcome);
      }
    };
  }
}
