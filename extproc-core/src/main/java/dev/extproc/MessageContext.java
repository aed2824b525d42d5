package dev.extproc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import java.util.concurrent.CompletionStage;

/**
 * What a processor can do to one direction of an exchange. The same instance is passed to every
 * event of that direction. Methods may be called from any thread; the engine applies them in
 * order on the exchange's own serialized executor.
 */
public interface MessageContext {

  /** Returns the direction this context belongs to. */
  Direction direction();

  /** Returns this direction's body mode in force right now (it can change after a mode override). */
  BodyMode bodyMode();

  /** Returns the exchange this direction belongs to. */
  ExchangeInfo exchange();

  /**
   * Appends {@code data} to this direction's output body. The returned stage completes when the
   * engine has room for more output (the bytes it holds for this stream are under the configured
   * bound); a processor writing a long body must wait for it before writing more. In
   * FULL_DUPLEX_STREAMED output is sent in chunks of at most the configured chunk size as soon as
   * Envoy can take it; in STREAMED and BUFFERED it goes into the reply to the message being
   * handled (or the next body reply, when written between events), so the stage completes at once
   * and one reply's output is bounded by {@link ExtProcConfig#maxBodyMessageBytes()} (beyond it the
   * exchange fails). Output written after a direction's last body reply (in {@code onEnd} or
   * {@code onTrailers} when trailers end a STREAMED or BUFFERED message) cannot be delivered and
   * fails the exchange. Writing the very chunk received in {@code onBody}, unchanged and alone, lets the
   * engine answer "no mutation" instead of copying the bytes back.
   *
   * @throws IllegalStateException when the direction's output is closed (after its end was
   *     answered, or in body mode NONE)
   */
  CompletionStage<Void> write(ByteString data);

  /**
   * Sets header {@code name} to {@code value}, replacing existing values. Applies to the message
   * being answered: the headers in {@code onHeaders}; the headers still held by Envoy during body
   * events in BUFFERED and BUFFERED_PARTIAL; the trailers in {@code onTrailers}.
   *
   * @throws IllegalStateException where Envoy would ignore the mutation (for example in a
   *     STREAMED body event, whose headers have already been forwarded)
   */
  void setHeader(String name, String value);

  /** Adds a value to header {@code name}, keeping existing values. Same rules as {@link #setHeader}. */
  void appendHeader(String name, String value);

  /** Removes header {@code name}. Same rules as {@link #setHeader}. */
  void removeHeader(String name);

  /**
   * Ends the exchange with a local reply from Envoy: the client gets {@code response} and the
   * upstream sees nothing more. Allowed at any time; later events are not delivered.
   */
  void respond(ImmediateResponse response);

  /**
   * Asks Envoy to change processing modes from the next message on; only in {@code onHeaders},
   * and only when the server is configured to say Envoy allows overrides. Envoy takes both body
   * modes literally and applies the merged mode to both directions; the engine tracks the same.
   *
   * @throws IllegalStateException outside {@code onHeaders}, when overrides are not enabled, when
   *     a direction is in FULL_DUPLEX_STREAMED, or when Envoy announced
   *     {@code send_body_without_waiting_for_header_response} (Envoy ignores overrides then)
   */
  void overrideMode(ProcessingMode mode);

  /**
   * Attaches dynamic metadata to the next reply on this stream. Each top-level key is a
   * namespace whose value must be a Struct; Envoy applies only namespaces it is configured to
   * receive.
   */
  void setDynamicMetadata(Struct metadata);
}
