package dev.extproc.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * When each zero-copy inbound message's transport buffer ({@link InboundBuffer}) is released:
 * exactly once nothing the engine handed out can still read it. One per exchange; used on the
 * exchange's serial executor only.
 *
 * <p>A message's body is either <em>copied</em> onto the heap when it is dispatched (its
 * processor does not {@linkplain dev.extproc.DirectionProcessor#borrowsChunks() borrow chunks}),
 * and the buffer is released at once, or <em>lent</em>: handed to the processor as is. A lent
 * buffer goes through these stages, in order:
 *
 * <ol>
 *   <li>{@link Stage#LENT}: the engine or the processor may read it — an event runs (its stage is
 *       outstanding), or the chunk is the one being handled or the STREAMED look-ahead's held chunk.
 *   <li>{@link Stage#IN_OUTPUT}: the processor's part is over, but bytes written up to that moment
 *       may be this chunk (passed through or written unchanged) and sit in the direction's pending
 *       output; waits until the output buffer has given away everything it held then.
 *   <li>{@link Stage#IN_REPLIES}: those bytes went into replies queued in the {@link
 *       OutboundPump}; waits until the pump handed every reply queued then to gRPC, which
 *       serialises a message inside {@code onNext} (the bytes are in gRPC's own buffers after it).
 *   <li>released.
 * </ol>
 *
 * Output and replies are first in, first out, so counting bytes and replies through them is
 * exact; dropped output and dropped replies count as gone. A message that arrives but is never
 * dispatched (parked, refused, or after the end) is released when the exchange ends or at once.
 * When the exchange ends, lent buffers are released as soon as no processor stage is outstanding:
 * a processor still working on a chunk of a cancelled exchange never sees it change under it.
 */
final class InboundLedger {
  enum Stage { ARRIVED, LENT, IN_OUTPUT, IN_REPLIES }

  private static final class Entry {
    final ProcessingRequest message;
    final InboundBuffer buffer;
    Stage stage = Stage.ARRIVED;
    @Nullable DirectionFlow direction;
    ByteString body = ByteString.EMPTY;
    long mark;

    Entry(ProcessingRequest message, InboundBuffer buffer) {
      this.message = message;
      this.buffer = buffer;
    }
  }

  private final ProcessorEvents events;
  private final OutboundPump pump;
  private final List<Entry> entries = new ArrayList<>(4);
  private boolean ended;

  InboundLedger(ProcessorEvents events, OutboundPump pump) {
    this.events = events;
    this.pump = pump;
  }

  /** A message arrived; its buffer (if any) is tracked from now on, or released at once after the end. */
  void arrived(Inbound inbound) {
    InboundBuffer buffer = inbound.buffer();
    if (buffer == null) {
      return;
    }
    if (ended || inbound.message() == null) {
      buffer.close();
      return;
    }
    entries.add(new Entry(inbound.message(), buffer));
  }

  /**
   * The body of {@code message}, dispatched to {@code d}'s processor now: the aliased chunk when
   * the processor borrows chunks (the buffer is lent), else a heap copy (the buffer is released).
   */
  ByteString handOut(ProcessingRequest message, DirectionFlow d) {
    ByteString body = Messages.body(message);
    Entry entry = find(message);
    if (entry == null) {
      return body;
    }
    if (!d.borrowsChunks) {
      ByteString copy = UnsafeByteOperations.unsafeWrap(body.toByteArray()); // one copy, onto the heap
      entries.remove(entry);
      entry.buffer.close();
      return copy;
    }
    entry.stage = Stage.LENT;
    entry.direction = d;
    entry.body = body;
    return body;
  }

  private @Nullable Entry find(ProcessingRequest message) {
    for (Entry entry : entries) {
      if (entry.message == message) {
        return entry;
      }
    }
    return null;
  }

  /** Advances every buffer as far as it can go, releasing those nothing can read any more. */
  void sweep() {
    if (entries.isEmpty()) {
      return;
    }
    entries.removeIf(this::advance);
  }

  /** The exchange ended: output and replies are dropped; release what no outstanding stage reads. */
  void end() {
    ended = true;
    sweep();
  }

  /** Buffers not yet released (tests; the exchange's bytes-held figure counts their bodies already). */
  int tracked() {
    return entries.size();
  }

  /** Moves {@code entry} on as far as it can go; returns true when its buffer was released. */
  private boolean advance(Entry entry) {
    if (entry.stage == Stage.ARRIVED && !ended) {
      return false; // parked: handed out (or copied) when dispatched
    }
    if (entry.stage == Stage.LENT) {
      if (stillRead(entry)) {
        return false;
      }
      entry.mark = entry.direction.pending.addedTotal();
      entry.stage = Stage.IN_OUTPUT;
    }
    if (entry.stage == Stage.IN_OUTPUT) {
      if (entry.direction.pending.removedTotal() < entry.mark) {
        return false;
      }
      entry.mark = pump.enqueuedTotal();
      entry.stage = Stage.IN_REPLIES;
    }
    if (entry.stage == Stage.IN_REPLIES && pump.dequeuedTotal() < entry.mark) {
      return false;
    }
    entry.buffer.close();
    return true;
  }

  /** Whether the engine or a processor may still read the lent chunk itself (not counting output). */
  private boolean stillRead(Entry entry) {
    if (events.stageOutstanding()) {
      return true;
    }
    if (ended) {
      return false;
    }
    DirectionFlow d = entry.direction;
    return events.running() || d.currentChunk == entry.body || d.lookAhead == entry.body;
  }
}
