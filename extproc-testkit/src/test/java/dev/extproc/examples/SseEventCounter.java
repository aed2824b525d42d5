package dev.extproc.examples;

import com.google.protobuf.ByteString;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.Processing;
import java.util.concurrent.CompletionStage;

/**
 * Counts the server-sent events of a response ({@code \n\n}-terminated, even when a terminator is
 * split across chunks), passes the body through unchanged, and reports the count as dynamic
 * metadata {@code extproc.sse/events} when the body ends. The worked example of {@code
 * docs/writing-processors.md}.
 */
final class SseEventCounter implements DirectionProcessor {
  static final String NAMESPACE = "extproc.sse";

  private long events;
  private boolean afterNewline; // the previous byte, possibly in the previous chunk, was '\n'

  @Override
  public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
    for (int i = 0; i < chunk.size(); i++) {
      boolean newline = chunk.byteAt(i) == '\n';
      if (newline && afterNewline) {
        events++;
        newline = false; // "\n\n\n" is one event end and a stray newline, not two
      }
      afterNewline = newline;
    }
    return ctx.passThrough(chunk);
  }

  @Override
  public CompletionStage<Void> onEnd(DirectionContext ctx) {
    ctx.exchange().putMetadata(NAMESPACE, "events", events);
    return Processing.done();
  }
}
