package dev.extproc.sse;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import org.jspecify.annotations.Nullable;

/**
 * One block of a {@code text/event-stream}: the exact bytes up to and including the blank line
 * that ends it, and what its fields say under the WHATWG event-stream rules. Immutable.
 *
 * <p>Not every block is an event: a block of comments only, or one whose fields set no {@code
 * data}, dispatches nothing ({@link #dispatched()} is false) but its bytes are still part of the
 * stream and a pass-through processor forwards them unchanged. The {@link #raw()} bytes of all
 * blocks, in order, followed by {@link SseParser#finish()}, are exactly the input.
 *
 * @param raw the block's bytes as they arrived (shares the input chunks' memory; no copy)
 * @param type the event type: the last {@code event} field, or {@code message} when none
 * @param data the {@code data} fields joined with {@code \n}; empty when none
 * @param dispatched whether the block dispatches an event: its data buffer is not empty
 * @param id the {@code id} field of this block, or null when none (or when it held NUL, which
 *     the rules ignore)
 * @param lastEventId the stream's last event id after this block (ids persist across events)
 * @param retryMillis the {@code retry} field when it was all ASCII digits, else -1
 */
public record SseEvent(
    ByteString raw,
    String type,
    String data,
    boolean dispatched,
    @Nullable String id,
    String lastEventId,
    long retryMillis) {

  /** The event type when a block has no {@code event} field. */
  public static final String DEFAULT_TYPE = "message";

  public SseEvent {
    requireNonNull(raw, "raw");
    requireNonNull(type, "type");
    requireNonNull(data, "data");
    requireNonNull(lastEventId, "lastEventId");
  }

  /** Returns a block that dispatches {@code data} as an event of {@code type}, framed with LF. */
  public static SseEvent of(String type, String data) {
    return SseEncoder.event(type, data);
  }

  @Override
  public String toString() {
    // Data may be large and sensitive: sizes only.
    return "SseEvent[type=" + type + ", dataChars=" + data.length() + ", rawBytes=" + raw.size()
        + ", dispatched=" + dispatched + "]";
  }
}
