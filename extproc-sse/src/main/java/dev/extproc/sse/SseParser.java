package dev.extproc.sse;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * Splits a {@code text/event-stream} body into {@link SseEvent} blocks as its chunks arrive, in
 * memory bounded by the largest event: an event may be split anywhere across chunks (inside a
 * field name, inside a multi-byte character, between the CR and LF of one line end). Follows the
 * WHATWG "Parsing an event stream" rules: CRLF, LF and CR line ends (mixed freely), one optional
 * byte-order mark at the very start of the stream, comment lines ({@code :}), fields {@code
 * event}, {@code data} (several lines joined with LF), {@code id} (ignored when it holds NUL; it
 * persists across events) and {@code retry} (digits only), a colon followed by at most one
 * stripped space, a line without a colon being a field name with an empty value, and unknown
 * fields ignored.
 *
 * <p>Bytes are never copied to find blocks: a block's {@link SseEvent#raw()} shares the chunks'
 * memory. Only the fields of a complete block are decoded, as UTF-8 with replacement characters
 * for invalid bytes (the raw bytes stay as they were).
 *
 * <p>One instance per stream; not thread-safe (an exchange's events are serial anyway).
 */
public final class SseParser {
  private static final byte CR = '\r';
  private static final byte LF = '\n';

  private final int maxEventBytes;
  private final SseFieldReader fields = new SseFieldReader();
  /** Bytes of the block being read, not yet complete. */
  private ByteString pending = ByteString.EMPTY;
  /** No byte since the last line end: a line end now would be a blank line, ending the block. */
  private boolean atLineStart = true;
  /** The last byte was a CR: an LF now completes the same line end. */
  private boolean afterCr;
  private long blocks;

  /**
   * @param maxEventBytes the largest block accepted, terminating blank line included; a larger
   *     one fails with {@link SseFramingException} instead of growing without bound
   */
  public SseParser(int maxEventBytes) {
    if (maxEventBytes < 2) {
      throw new IllegalArgumentException("maxEventBytes: " + maxEventBytes + " (expected: >= 2)");
    }
    this.maxEventBytes = maxEventBytes;
  }

  /**
   * Feeds the next chunk and hands {@code sink} every block it completes, in order.
   *
   * @throws SseFramingException when a block grows past the bound; the parser is then unusable
   */
  public void feed(ByteString chunk, Consumer<SseEvent> sink) {
    int blockStart = 0; // offset in chunk where the current block's bytes in this chunk begin
    int offset = 0;
    for (ByteBuffer buffer : chunk.asReadOnlyByteBufferList()) {
      int limit = buffer.limit();
      for (int i = buffer.position(); i < limit; i++, offset++) {
        byte b = buffer.get(i);
        if (afterCr) {
          afterCr = false;
          if (b == LF) {
            continue; // the second half of a CRLF line end
          }
        }
        if (b != CR && b != LF) {
          atLineStart = false;
          continue;
        }
        afterCr = b == CR;
        if (!atLineStart) {
          atLineStart = true; // the end of a non-empty line
          continue;
        }
        // A blank line: the block ends here, with a CRLF's LF when it is in this buffer.
        int end = offset + 1;
        if (b == CR && i + 1 < limit && buffer.get(i + 1) == LF) {
          afterCr = false;
          i++;
          offset++;
          end++;
        }
        emit(pending.concat(chunk.substring(blockStart, end)), sink);
        pending = ByteString.EMPTY;
        blockStart = end;
      }
    }
    if (blockStart < chunk.size()) {
      pending = pending.concat(chunk.substring(blockStart));
      checkSize(pending.size());
    }
  }

  /**
   * Ends the stream: returns the bytes of a block that never got its blank line (by the rules it
   * is not an event; a pass-through processor forwards it as it came) and resets the parser.
   */
  public ByteString finish() {
    ByteString rest = pending;
    pending = ByteString.EMPTY;
    atLineStart = true;
    afterCr = false;
    return rest;
  }

  /** Returns the bytes held for an unfinished block: this parser's memory. */
  public int heldBytes() {
    return pending.size();
  }

  /** Returns the blocks completed so far. */
  public long blocks() {
    return blocks;
  }

  private void emit(ByteString raw, Consumer<SseEvent> sink) {
    checkSize(raw.size());
    blocks++;
    sink.accept(fields.read(raw));
  }

  private void checkSize(int size) {
    if (size > maxEventBytes) {
      throw new SseFramingException("event-stream block of at least " + size + " bytes (expected: at most "
          + maxEventBytes + " bytes per event, blank line included; raise the bound or treat the body as"
          + " opaque)");
    }
  }
}
