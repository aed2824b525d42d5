package dev.extproc;

import com.google.protobuf.ByteString;
import java.util.concurrent.CompletionStage;

/**
 * The processing logic of one direction (request or response) of one HTTP exchange. The
 * exchange's {@link ExchangeHandler} returns one per direction; a new pair is made for every
 * exchange, so fields are per-direction state.
 *
 * <p><b>Events.</b> A direction is seen as {@link #onHeaders} (unless Envoy skips headers), then
 * {@link #onBody} once per non-empty chunk, then {@link #onEnd} when the body is complete, then
 * {@link #onTrailers} if the message has trailers. The same code runs unchanged in every body
 * mode: in STREAMED and FULL_DUPLEX_STREAMED each Envoy chunk is one {@code onBody}; in BUFFERED
 * the whole body is a single {@code onBody}. The engine turns what the processor writes into the
 * wire replies the mode in force requires.
 *
 * <p><b>Output.</b> The body a direction emits is exactly the bytes passed to {@link
 * DirectionContext#write}: {@link DirectionContext#passThrough} forwards a chunk unchanged (without
 * copying), writing nothing drops it, writing other bytes replaces it. Output need not line up
 * with input chunks.
 *
 * <p><b>Holding bytes back.</b> A processor that keeps bytes across chunks (a carry buffer, a
 * matcher, a decoder) returns {@code true} from {@link #holdsBack()}. In STREAMED the engine then
 * hands each chunk over only once the direction's next message has arrived, or after at most
 * 100 ms (half Envoy's default {@code message_timeout}, which also covers a chunk the engine
 * holds), so {@code last} is exact whenever the client keeps sending, and output written up to
 * and including {@link #onEnd} reaches Envoy: in the last chunk's reply, or in the reply to the
 * empty end-of-stream message. The price: one chunk of latency and of memory. One case no engine
 * can serve: in STREAMED, Envoy sends trailers only after every body chunk was answered, so when
 * trailers end the body, output written after the last chunk's reply cannot be delivered and the
 * exchange fails with an error that says so; use FULL_DUPLEX_STREAMED (output written in {@code
 * onEnd} is always delivered) or BUFFERED ({@code last} is always true) for such directions. See
 * {@code docs/architecture.md}.
 *
 * <p><b>Completion and flow control.</b> Every event method returns a stage that completes when
 * the processor is done with that event; the engine reads Envoy's next message only after that
 * and only while output has room, so a slow processor slows Envoy down instead of filling memory.
 * Return {@link Processing#done()} when finished synchronously. A stage that completes
 * exceptionally (or a method that throws) fails the exchange.
 *
 * <p><b>Threading.</b> Calls for one exchange never overlap and happen in order, but not always on
 * the same thread: they run on the exchange's serial executor, which borrows a gRPC thread or the
 * thread that completed the previous stage. Never block in these methods; do blocking work on
 * another executor and return its stage.
 *
 * <p><b>Chunk ownership.</b> Chunks are immutable {@link ByteString}s. By default ({@link
 * #borrowsChunks()} false) each chunk is the processor's own heap copy: it may keep it, or any
 * substring of it, as long as it likes (every byte it keeps is memory the engine cannot bound).
 * A processor that returns {@code true} from {@link #borrowsChunks()} is handed chunks that alias
 * the network buffers gRPC received them in (no copy at all; see {@code docs/architecture.md},
 * "Body bytes: where they live"), under Netty's rule for borrowed buffers: a borrowed chunk, and
 * every {@code ByteString} derived from it ({@code substring}, {@code concat}, views), is valid only
 * until the stage of the event that received it completes. The engine then releases the memory
 * for reuse, and a reference kept past that reads other data. To keep bytes beyond the stage, copy
 * them ({@code ByteString.copyFrom(chunk.toByteArray())} or {@code chunk.toByteArray()}). Writing a
 * borrowed chunk (or part of it) to the context before the stage completes is always safe: the
 * engine keeps the memory until the output has been serialised into gRPC's own buffers.
 *
 * <p>Every method has a default, so new events can be added without breaking implementations; to
 * wrap another processor, extend {@link ForwardingDirectionProcessor}.
 */
public interface DirectionProcessor {

  /**
   * Returns whether this processor may hold body bytes back across chunks and so must be able to
   * write after the last chunk. Asked once per direction, before its first event.
   */
  default boolean holdsBack() {
    return false;
  }

  /**
   * Returns whether this processor reads each body chunk only until the stage of the event that
   * received it completes, copying whatever it keeps beyond that (see "Chunk ownership" above).
   * Then the engine hands it chunks without copying them out of the network buffers. The default,
   * {@code false}, is always safe: chunks are heap copies the processor owns. Asked once per
   * direction, before its first event.
   */
  default boolean borrowsChunks() {
    return false;
  }

  /**
   * Called with the direction's headers. Header mutations made on {@code ctx} before the returned
   * stage completes go into the header reply.
   *
   * @param endOfStream true when the message has no body and no trailers; {@link #onEnd} follows at
   *     once, and anything written then becomes the body (Envoy's CONTINUE_AND_REPLACE)
   */
  default CompletionStage<Void> onHeaders(DirectionContext ctx, HttpHeaders headers, boolean endOfStream) {
    return Processing.done();
  }

  /**
   * Called with one non-empty body chunk. The default passes it through unchanged.
   *
   * @param chunk the bytes Envoy sent; never empty
   * @param last true when no body bytes follow this chunk in this direction. With {@link
   *     #holdsBack()} in STREAMED, exact unless the next message took longer than the look-ahead
   *     bound (then false, and {@link #onEnd} tells the end); in BUFFERED always true; otherwise
   *     true only when Envoy marked the chunk as the end of the body (not when trailers, or an
   *     empty end-of-stream chunk, follow). In a {@link ProcessorChain}, exact only for the first
   *     processor
   */
  default CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
    return ctx.passThrough(chunk);
  }

  /**
   * Called once when the direction's body is complete: after the last chunk, or before {@link
   * #onTrailers} when trailers end the message. Output written here is the tail of the body; it is
   * always delivered in FULL_DUPLEX_STREAMED and BUFFERED, and in STREAMED unless trailers end the
   * body (see the class documentation). Not called in body mode NONE (unless the headers end the message), nor after
   * BUFFERED_PARTIAL's partial message.
   */
  default CompletionStage<Void> onEnd(DirectionContext ctx) {
    return Processing.done();
  }

  /** Called with the direction's trailers; header mutations on {@code ctx} go into the trailers reply. */
  default CompletionStage<Void> onTrailers(DirectionContext ctx, HttpHeaders trailers) {
    return Processing.done();
  }
}
