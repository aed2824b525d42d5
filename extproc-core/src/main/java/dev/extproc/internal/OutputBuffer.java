package dev.extproc.internal;

import com.google.protobuf.ByteString;
import java.util.ArrayDeque;

/**
 * A direction's pending output: the chunks a processor wrote, not yet put into a reply. Holds
 * references only; {@link #take} and {@link #takeAll} slice and concatenate without copying bytes
 * (ByteString ropes and substrings share the written arrays). Not thread-safe: used on the
 * stream's serial executor.
 */
final class OutputBuffer {
  private final ArrayDeque<ByteString> chunks = new ArrayDeque<>();
  private long size;
  /** Bytes ever added and ever removed (taken or dropped): FIFO positions for {@link InboundLedger}. */
  private long addedTotal;
  private long removedTotal;

  /** Appends {@code data}; empty data is ignored. */
  void add(ByteString data) {
    if (!data.isEmpty()) {
      chunks.addLast(data);
      size += data.size();
      addedTotal += data.size();
    }
  }

  /** Returns the bytes held. */
  long size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** Returns whether the buffer holds exactly {@code chunk} (the same instance) and nothing else. */
  boolean isExactly(ByteString chunk) {
    return chunks.size() == 1 && chunks.peekFirst() == chunk;
  }

  /** Removes and returns up to {@code maxBytes} from the front, splitting a chunk if needed. */
  ByteString take(int maxBytes) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: > 0)");
    }
    ByteString result = ByteString.EMPTY;
    while (!chunks.isEmpty() && result.size() < maxBytes) {
      ByteString head = chunks.pollFirst();
      int room = maxBytes - result.size();
      if (head.size() > room) {
        chunks.addFirst(head.substring(room));
        head = head.substring(0, room);
      }
      result = result.concat(head);
    }
    size -= result.size();
    removedTotal += result.size();
    return result;
  }

  /** Removes and returns everything, concatenated. */
  ByteString takeAll() {
    ByteString result = chunks.size() == 1 ? chunks.peekFirst() : ByteString.copyFrom(chunks);
    chunks.clear();
    removedTotal += size;
    size = 0;
    return result;
  }

  /** Bytes ever added. */
  long addedTotal() {
    return addedTotal;
  }

  /** Bytes ever taken or dropped: every byte added before {@code addedTotal()} was N is gone once this reaches N. */
  long removedTotal() {
    return removedTotal;
  }

  /** Drops everything. */
  void clear() {
    chunks.clear();
    removedTotal += size;
    size = 0;
  }
}
