package dev.extproc.sse;

import com.google.protobuf.ByteString;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.HttpHeaders;
import dev.extproc.Processing;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A base for processors that see a {@code text/event-stream} body as whole events and may
 * rewrite, drop or add events, or end the stream. Subclasses implement {@link #onEvent}; bodies of
 * any other content type pass through untouched.
 *
 * <p>Events split across chunks are reassembled in memory bounded by {@code maxEventBytes}; the
 * unfinished tail of a chunk is held back (so this processor {@linkplain #holdsBack() holds back}
 * and the engine delivers its last bytes in every body mode). A chunk whose events all pass
 * unchanged, with nothing held before or after it, is passed through without a copy. An event
 * over the bound fails the exchange with a message naming it: a torn event is never forwarded.
 *
 * <p>Threading: as every {@link DirectionProcessor}, called serially by the engine.
 */
public abstract class EventStreamProcessor implements DirectionProcessor {
  private static final Logger log = LoggerFactory.getLogger(EventStreamProcessor.class);

  private final int maxEventBytes;
  private SseParser parser;
  private boolean stopped;

  /** What {@link #onEvent} decides for one event. */
  protected interface EventSink {
    /** Forwards the event as it came (no copy). */
    void pass(SseEvent event);

    /** Forwards {@code bytes} (one or more whole events) in place of the event. */
    void write(ByteString bytes);

    /**
     * Ends the stream after what was written so far: every later byte of the body is dropped, so
     * the client sees whole events and then the end of the response.
     */
    void stop();
  }

  protected EventStreamProcessor(int maxEventBytes) {
    this.maxEventBytes = maxEventBytes;
  }

  /** Decides what becomes of {@code event}: call exactly one of the sink's methods, or none to drop it. */
  protected abstract void onEvent(DirectionContext ctx, SseEvent event, EventSink sink);

  /** Called once when an event stream ends normally; output written to {@code sink} is its tail. */
  protected void onStreamEnd(DirectionContext ctx, EventSink sink) {}

  @Override
  public final boolean holdsBack() {
    return true;
  }

  @Override
  public CompletionStage<Void> onHeaders(DirectionContext ctx, HttpHeaders headers, boolean endOfStream) {
    String type = headers.get("content-type");
    if (type != null && type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT).equals("text/event-stream")) {
      parser = new SseParser(maxEventBytes);
    }
    return Processing.done();
  }

  @Override
  public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
    if (parser == null) {
      return ctx.passThrough(chunk);
    }
    if (stopped) {
      return Processing.done();
    }
    boolean heldBefore = parser.heldBytes() > 0;
    Output out = new Output();
    parser.feed(chunk, event -> {
      if (!out.stopped) {
        out.events++;
        onEvent(ctx, event, out);
      }
    });
    if (out.stopped) {
      stopped = true;
      parser.finish();
    }
    if (!heldBefore && parser.heldBytes() == 0 && out.unchanged()) {
      return ctx.passThrough(chunk);
    }
    return writeAll(ctx, out.pieces);
  }

  @Override
  public CompletionStage<Void> onEnd(DirectionContext ctx) {
    if (parser == null || stopped) {
      return Processing.done();
    }
    ByteString tail = parser.finish();
    if (!tail.isEmpty()) {
      log.debug("exchange {}: event stream ended inside an event ({} bytes); forwarded as it came",
          ctx.exchange().id(), tail.size());
    }
    Output out = new Output();
    out.pieces.add(tail);
    onStreamEnd(ctx, out);
    return writeAll(ctx, out.pieces);
  }

  private static CompletionStage<Void> writeAll(DirectionContext ctx, List<ByteString> pieces) {
    ByteString all = ByteString.EMPTY;
    for (ByteString piece : pieces) {
      all = all.concat(piece); // ropes: no bytes copied
    }
    return all.isEmpty() ? Processing.done() : ctx.write(all);
  }

  /** Collects one chunk's output. */
  private static final class Output implements EventSink {
    final List<ByteString> pieces = new ArrayList<>();
    int events;
    int passes;
    boolean wrote;
    boolean stopped;

    /** Every event of the chunk was passed as it came, and nothing else happened. */
    boolean unchanged() {
      return passes == events && !wrote && !stopped;
    }

    @Override
    public void pass(SseEvent event) {
      passes++;
      pieces.add(event.raw());
    }

    @Override
    public void write(ByteString bytes) {
      wrote = true;
      pieces.add(bytes);
    }

    @Override
    public void stop() {
      stopped = true;
    }
  }
}
