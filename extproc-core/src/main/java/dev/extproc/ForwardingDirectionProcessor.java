package dev.extproc;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import java.util.concurrent.CompletionStage;

/**
 * A {@link DirectionProcessor} that forwards every call to another one. Extend it to decorate a
 * processor (logging, timing, a policy around it) and override only what changes: events added
 * to {@link DirectionProcessor} later are forwarded here, so decorators keep working.
 */
public abstract class ForwardingDirectionProcessor implements DirectionProcessor {
  private final DirectionProcessor delegate;

  protected ForwardingDirectionProcessor(DirectionProcessor delegate) {
    this.delegate = requireNonNull(delegate, "delegate");
  }

  /** Returns the processor calls are forwarded to. */
  protected final DirectionProcessor delegate() {
    return delegate;
  }

  @Override
  public boolean holdsBack() {
    return delegate.holdsBack();
  }

  @Override
  public boolean borrowsChunks() {
    return delegate.borrowsChunks();
  }

  @Override
  public CompletionStage<Void> onHeaders(DirectionContext ctx, HttpHeaders headers, boolean endOfStream) {
    return delegate.onHeaders(ctx, headers, endOfStream);
  }

  @Override
  public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
    return delegate.onBody(ctx, chunk, last);
  }

  @Override
  public CompletionStage<Void> onEnd(DirectionContext ctx) {
    return delegate.onEnd(ctx);
  }

  @Override
  public CompletionStage<Void> onTrailers(DirectionContext ctx, HttpHeaders trailers) {
    return delegate.onTrailers(ctx, trailers);
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + delegate + "]";
  }
}
