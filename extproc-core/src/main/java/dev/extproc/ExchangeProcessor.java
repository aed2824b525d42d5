package dev.extproc;

import com.google.protobuf.ByteString;
import java.util.concurrent.CompletionStage;

/**
 * A user's processing logic for both directions of one HTTP exchange in one object, the first
 * version of the API; it keeps working unchanged. New code usually writes one {@link
 * DirectionProcessor} per direction and returns them with {@link ExchangeHandler#of}. A new
 * instance is made for every exchange by a {@link ProcessorFactory}, so fields are per-exchange
 * state; {@link MessageContext#direction()} tells the directions apart.
 *
 * <p>Each direction is seen as a stream of events: {@link #onHeaders} (unless Envoy skips
 * headers), then {@link #onBody} once per non-empty chunk, then {@link #onEnd} when the body is
 * complete, then {@link #onTrailers} if the message has trailers. The same code runs unchanged
 * in every body mode: in STREAMED each Envoy chunk is one {@code onBody}; in FULL_DUPLEX_STREAMED
 * likewise; in BUFFERED the whole body is a single {@code onBody} followed by {@code onEnd}. The
 * engine turns what the processor writes into the wire replies the mode in force requires.
 *
 * <p><b>Output.</b> The body a direction emits is exactly the bytes passed to {@link
 * MessageContext#write}: writing the chunk back passes it through, writing nothing drops it,
 * writing other bytes replaces it. Output need not line up with input chunks.
 *
 * <p><b>Completion and flow control.</b> Every event method returns a stage that completes when
 * the processor is done with that event. The engine asks gRPC for the next message only after
 * that, so a slow processor slows Envoy down instead of queueing messages. Return {@link
 * Processing#done()} when finished synchronously. A stage that completes exceptionally (or a
 * method that throws) fails the exchange.
 *
 * <p><b>Threading.</b> Calls for one exchange never overlap and happen in order, but not always on
 * the same thread: they run on the exchange's serial executor, which borrows a gRPC callback
 * thread or the thread that completed the previous stage. Never block in these methods; do
 * blocking work (file I/O) on another executor and return its stage.
 *
 * <p><b>Chunk ownership.</b> Chunks are immutable {@link ByteString}s: a processor may keep one
 * as long as it likes, but every byte it keeps is memory the engine cannot bound, unless it
 * {@linkplain #borrowsChunks(Direction) borrows chunks} (then a chunk is valid only until the
 * stage of its event completes; see {@link DirectionProcessor}).
 */
public interface ExchangeProcessor extends ExchangeHandler {

  /** Returns the request direction's view of this processor: its event methods with that direction's context. */
  @Override
  default DirectionProcessor request() {
    return new CombinedProcessorAdapter(this, Direction.REQUEST);
  }

  /** Returns the response direction's view of this processor. */
  @Override
  default DirectionProcessor response() {
    return new CombinedProcessorAdapter(this, Direction.RESPONSE);
  }

  /**
   * Returns whether this processor may hold body bytes back across chunks; see {@link
   * DirectionProcessor#holdsBack()}. Asked once per direction.
   */
  default boolean holdsBack(Direction direction) {
    return false;
  }

  /**
   * Returns whether this processor reads a direction's chunks only until the stage of their event
   * completes, so they may alias the network buffers; see {@link DirectionProcessor#borrowsChunks()}.
   * Asked once per direction.
   */
  default boolean borrowsChunks(Direction direction) {
    return false;
  }

  /**
   * Called with a direction's headers. Header mutations made on {@code ctx} before the returned
   * stage completes go into the header reply.
   *
   * @param endOfStream true when the message has no body (and no trailers); {@link #onEnd} follows
   *     at once, and anything written then becomes the body (sent as a CONTINUE_AND_REPLACE)
   */
  default CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
    return Processing.done();
  }

  /**
   * Called with one non-empty body chunk. The default passes the chunk through.
   *
   * @param chunk the bytes Envoy sent; never empty
   */
  default CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
    return ctx.write(chunk);
  }

  /**
   * Called once when a direction's body is complete: after the last chunk, or before {@link
   * #onTrailers} when trailers end the message. Output written here is the tail of the body.
   * Not called in body mode NONE, nor after BUFFERED_PARTIAL's partial message.
   */
  default CompletionStage<Void> onEnd(MessageContext ctx) {
    return Processing.done();
  }

  /** Called with a direction's trailers. Header mutations on {@code ctx} go into the trailers reply. */
  default CompletionStage<Void> onTrailers(MessageContext ctx, HttpHeaders trailers) {
    return Processing.done();
  }
}
