package dev.extproc;

import com.google.protobuf.ByteString;
import java.util.concurrent.CompletionStage;

/**
 * What a {@link DirectionProcessor} can do to its own direction: write the output body and mutate
 * the headers or trailers being answered. Exchange-wide operations (an immediate response, dynamic
 * metadata, a mode override) are on {@link #exchange()}. The same instance is passed to every
 * event of the direction. Methods may be called from any thread; the engine applies them in order
 * on the exchange's serial executor.
 */
public interface DirectionContext {

  /** Returns the direction this context belongs to. */
  Direction direction();

  /** Returns this direction's body mode in force right now (a mode override can change it). */
  BodyMode bodyMode();

  /** Returns the exchange this direction belongs to, with the exchange-wide operations. */
  ExchangeContext exchange();

  /**
   * Appends {@code data} to this direction's output body.
   *
   * <p>The returned stage completes when the engine has room for more output: every byte written
   * and not yet handed to gRPC counts against one per-stream budget ({@link
   * ExtProcConfig#maxPendingOutputBytes()}), in every body mode and from the first event on. A
   * processor writing a long body waits for each stage before writing more; then the stream never
   * holds more than {@link ExtProcConfig#maxBytesHeldPerStream()}. Output that ignores its stages
   * and runs past the budget fails the exchange with an error naming the rule.
   *
   * <p>In FULL_DUPLEX_STREAMED output is sent in chunks of at most {@link
   * ExtProcConfig#maxChunkBytes()} as soon as Envoy can take it. In STREAMED, BUFFERED and
   * BUFFERED_PARTIAL, Envoy wants exactly one reply per body message: output goes into the reply to
   * the message being handled, so the stage completes at once (waiting would deadlock) and one
   * reply carries at most {@link ExtProcConfig#maxBodyMessageBytes()} (beyond it the exchange
   * fails). Output written after a direction's last body reply cannot be delivered and fails the
   * exchange with an error that says so; a processor that {@linkplain DirectionProcessor#holdsBack()
   * holds back} has its STREAMED chunks answered only once the next message arrived, so its
   * {@code onEnd} output goes into a body reply (except when trailers end a STREAMED body).
   *
   * @throws IllegalStateException when the direction's output is closed (its end was answered, or
   *     the body mode is NONE and the headers did not end the message)
   * @throws IllegalArgumentException in FULL_DUPLEX_STREAMED, when one write is larger than {@link
   *     ExtProcConfig#maxPendingOutputBytes()} (split it; the chunk being handled is exempt)
   */
  CompletionStage<Void> write(ByteString data);

  /**
   * Writes {@code chunk} unchanged. When it is the chunk being handled, the engine answers Envoy
   * with "no mutation" instead of sending the bytes back. Equivalent to {@code write(chunk)}.
   *
   * <p>A chunk a processor {@linkplain DirectionProcessor#borrowsChunks() borrows} (it aliases the
   * network buffers) may be written, whole or in part, until the stage of the event that received it
   * completes: the engine keeps the memory until the output has been serialised into gRPC's buffers,
   * however long the output waits. Written after that stage, it may already hold other bytes.
   */
  default CompletionStage<Void> passThrough(ByteString chunk) {
    return write(chunk);
  }

  /**
   * Sets header {@code name} to {@code value}, replacing existing values. Applies to the message
   * being answered: the headers in {@code onHeaders}; the headers Envoy still holds during the
   * body event in BUFFERED and BUFFERED_PARTIAL; the trailers in {@code onTrailers}.
   *
   * @throws IllegalStateException where Envoy would ignore the mutation (for example in a STREAMED
   *     body event, whose headers have already been forwarded)
   * @throws IllegalArgumentException when the name is not a valid header name, or the value holds
   *     CR, LF or NUL
   */
  void setHeader(String name, String value);

  /** Adds a value to header {@code name}, keeping existing ones. Same rules as {@link #setHeader}. */
  void appendHeader(String name, String value);

  /** Removes header {@code name}. Same rules as {@link #setHeader}. */
  void removeHeader(String name);
}
