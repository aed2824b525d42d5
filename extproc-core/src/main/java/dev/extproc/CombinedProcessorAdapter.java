package dev.extproc;

import com.google.protobuf.ByteString;
import java.util.concurrent.CompletionStage;

/** One direction of an {@link ExchangeProcessor}, seen as a {@link DirectionProcessor}. */
final class CombinedProcessorAdapter implements DirectionProcessor {
  private final ExchangeProcessor processor;
  private final Direction direction;

  CombinedProcessorAdapter(ExchangeProcessor processor, Direction direction) {
    this.processor = processor;
    this.direction = direction;
  }

  @Override
  public boolean holdsBack() {
    return processor.holdsBack(direction);
  }

  @Override
  public boolean borrowsChunks() {
    return processor.borrowsChunks(direction);
  }

  @Override
  public CompletionStage<Void> onHeaders(DirectionContext ctx, HttpHeaders headers, boolean endOfStream) {
    return processor.onHeaders(messageContext(ctx), headers, endOfStream);
  }

  @Override
  public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
    return processor.onBody(messageContext(ctx), chunk);
  }

  @Override
  public CompletionStage<Void> onEnd(DirectionContext ctx) {
    return processor.onEnd(messageContext(ctx));
  }

  @Override
  public CompletionStage<Void> onTrailers(DirectionContext ctx, HttpHeaders trailers) {
    return processor.onTrailers(messageContext(ctx), trailers);
  }

  @Override
  public String toString() {
    return processor.toString();
  }

  private static MessageContext messageContext(DirectionContext ctx) {
    return ctx instanceof MessageContext ? (MessageContext) ctx : new MessageContextView(ctx);
  }

  /** A {@link DirectionContext} made by someone else (a chain, a test), seen as a {@link MessageContext}. */
  private static final class MessageContextView implements MessageContext {
    private final DirectionContext ctx;

    MessageContextView(DirectionContext ctx) {
      this.ctx = ctx;
    }

    @Override public Direction direction() { return ctx.direction(); }
    @Override public BodyMode bodyMode() { return ctx.bodyMode(); }
    @Override public ExchangeContext exchange() { return ctx.exchange(); }
    @Override public CompletionStage<Void> write(ByteString data) { return ctx.write(data); }
    @Override public CompletionStage<Void> passThrough(ByteString chunk) { return ctx.passThrough(chunk); }
    @Override public void setHeader(String name, String value) { ctx.setHeader(name, value); }
    @Override public void appendHeader(String name, String value) { ctx.appendHeader(name, value); }
    @Override public void removeHeader(String name) { ctx.removeHeader(name); }
    @Override public String toString() { return ctx.toString(); }
  }
}
