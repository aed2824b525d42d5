package dev.extproc.processors;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ExchangeInfo;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExchangeProcessor;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import dev.extproc.MessageContext;
import dev.extproc.Processing;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One exchange's replacement of its bodies. See {@link ReplaceProcessorFactory}. */
final class ReplaceProcessor implements ExchangeProcessor {
  private static final Logger log = LoggerFactory.getLogger(ReplaceProcessor.class);

  private final ReplaceProcessorFactory owner;
  private final ExchangeInfo exchange;
  private final Map<Direction, Replacement> replacements = new EnumMap<>(Direction.class);
  private final AtomicBoolean errorLogged = new AtomicBoolean();

  ReplaceProcessor(ReplaceProcessorFactory owner, ExchangeInfo exchange) {
    this.owner = owner;
    this.exchange = exchange;
    for (Direction direction : Direction.values()) {
      owner.file(direction).ifPresent(file -> replacements.put(direction, new Replacement(direction, file)));
    }
  }

  /**
   * Borrows chunks (zero-copy): a chunk is only measured, or forwarded by {@code ctx.write} within
   * its event; the replacement's bytes come from its file, and nothing keeps a chunk.
   */
  @Override
  public boolean borrowsChunks(Direction direction) {
    return true;
  }

  @Override
  public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
    Replacement r = replacements.get(ctx.direction());
    if (r == null) {
      return Processing.done();
    }
    BodyMode mode = ctx.bodyMode();
    if (!endOfStream && mode == BodyMode.NONE) {
      // The body never reaches the processor: nothing can be replaced.
      r.inactive = true;
      return Processing.done();
    }
    if (!endOfStream && mode == BodyMode.BUFFERED_PARTIAL) {
      return fail(ctx, r, new IOException(
          "body mode BUFFERED_PARTIAL is not supported (the unprocessed remainder would pass through)"));
    }
    r.headersEndOfStream = endOfStream;
    if (endOfStream || mode != BodyMode.STREAMED) {
      return guard(ctx, r, r.open());
    }
    long announced = headers.contentLength();
    return guard(ctx, r, r.open().thenRun(() -> planStreamed(r, announced)));
  }

  /**
   * Decides at header time, before anything of the body is forwarded (and before the upstream has
   * even seen the request), whether a STREAMED replacement can be sent whole; throws otherwise, so
   * that the client gets a clear 500 instead of a response cut short later (see {@link
   * ReplaceProcessorFactory}, "STREAMED").
   */
  private void planStreamed(Replacement r, long announced) {
    if (r.size > owner.maxReplyBytes()) {
      refuseUnlessTheInputCarriesIt(r, announced);
    }
    if (announced > 0) {
      // Spread in proportion: all of it is out with the last input byte, even when trailers end the body.
      r.announcedInput = announced;
    }
  }

  private void refuseUnlessTheInputCarriesIt(Replacement r, long announced) {
    if (announced < 0) {
      throw new ReplacementTooLargeException(
          "replace: the " + r.direction.label() + " replacement " + r.file + " (" + r.size
              + " bytes) is larger than one reply (maxReplyBytes " + owner.maxReplyBytes()
              + ") and the " + r.direction.label() + " has no content-length, so STREAMED cannot spread it"
              + " over the incoming body (expected: a content-length, a replacement <= maxReplyBytes,"
              + " or FULL_DUPLEX_STREAMED)");
    }
    if (r.size > announced * ReplaceProcessorFactory.MAX_STREAMED_EXPANSION) {
      throw new ReplacementTooLargeException(
          "replace: the " + r.direction.label() + " replacement " + r.file + " (" + r.size
              + " bytes) is larger than one reply (maxReplyBytes " + owner.maxReplyBytes() + ") and more than "
              + ReplaceProcessorFactory.MAX_STREAMED_EXPANSION + " times the incoming body (content-length "
              + announced + "), so STREAMED cannot spread it over the incoming body"
              + " (expected: a replacement <= maxReplyBytes, a larger body, or FULL_DUPLEX_STREAMED)");
    }
  }

  @Override
  public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
    Replacement r = replacements.get(ctx.direction());
    if (r == null || r.inactive) {
      return ctx.write(chunk);
    }
    if (r.failed) {
      return Processing.done();
    }
    BodyMode mode = ctx.bodyMode();
    switch (mode) {
      case STREAMED:
        r.inputBytes += chunk.size();
        return guard(ctx, r, r.open().thenCompose(v -> copy(ctx, r, streamedQuota(r, chunk))));
      case FULL_DUPLEX_STREAMED:
        switch (owner.duplexReplace()) {
          case EAGER:
            return guard(ctx, r, r.open().thenCompose(v -> copy(ctx, r, quota(chunk))));
          case PACED:
            r.inputBytes += chunk.size();
            // Events are serialized and each waits for its pump: position is the bytes written.
            return guard(ctx, r, r.open().thenCompose(v -> copy(ctx, r, r.inputBytes + owner.paceBudgetBytes() - r.position)));
          default:
            return guard(ctx, r, r.open());
        }
      case BUFFERED:
        // The engine sets content-length to the reply's size when the message carried one.
        return guard(ctx, r, r.open().thenCompose(v -> {
          checkFitsOneReply(r, r.size, "BUFFERED reply");
          return Processing.done();
        }));
      default:
        return fail(ctx, r, new IOException("body mode " + mode + " is not supported"));
    }
  }

  @Override
  public CompletionStage<Void> onEnd(MessageContext ctx) {
    Replacement r = replacements.get(ctx.direction());
    if (r == null || r.inactive || r.failed) {
      return Processing.done();
    }
    BodyMode mode = ctx.bodyMode();
    CompletionStage<Void> sent =
        r.open()
            .thenCompose(
                v -> {
                  long left = r.size - r.position;
                  if (r.headersEndOfStream) {
                    checkFitsOneReply(r, left, "body of a message without one (CONTINUE_AND_REPLACE)");
                  } else if (mode == BodyMode.STREAMED) {
                    checkFitsOneReply(r, left, "reply to the last STREAMED message (the remainder)");
                  } else if (mode == BodyMode.BUFFERED) {
                    checkFitsOneReply(r, left, "BUFFERED reply");
                  }
                  return copy(ctx, r, left);
                })
            .thenCompose(v -> r.close());
    return guard(ctx, r, sent);
  }

  @Override
  public void onClose(ExchangeOutcome outcome) {
    for (Replacement r : replacements.values()) {
      r.close();
    }
  }

  /**
   * Returns how much of the replacement one incoming chunk releases: at least a piece, and a
   * quarter more than the chunk, so a replacement up to 1.25 times the input is out before the
   * input ends instead of piling up for the last reply (Envoy's STREAMED chunks are often 1 MiB).
   */
  private long quota(ByteString chunk) {
    return Math.max(owner.chunkBytes(), chunk.size() + chunk.size() / 4L);
  }

  /**
   * Returns how much of a STREAMED replacement the reply to one chunk carries. With a
   * content-length the replacement is spread in proportion to the announced input, so that by the
   * last incoming byte all of it is out (each reply carries about size/content-length times its
   * chunk, never more than one reply may hold); without one (possible only for a replacement that
   * fits one reply) {@link #quota} applies and the remainder goes with the last reply.
   */
  private long streamedQuota(Replacement r, ByteString chunk) {
    if (r.announcedInput < 0) {
      return quota(chunk);
    }
    long seen = Math.min(r.inputBytes, r.announcedInput);
    long target =
        r.announcedInput == 0 ? r.size : (long) Math.ceil((double) r.size * seen / r.announcedInput);
    return Math.min(owner.maxReplyBytes(), Math.max(0, target - r.position));
  }

  private void checkFitsOneReply(Replacement r, long bytes, String where) {
    if (bytes > owner.maxReplyBytes()) {
      throw new ReplacementTooLargeException(
          "replace: " + bytes + " bytes of " + r.file + " must go in one " + where
              + " (expected: <= maxReplyBytes " + owner.maxReplyBytes()
              + "; use FULL_DUPLEX_STREAMED or raise the limit)");
    }
  }

  /** Thrown when a replacement cannot fit in the one reply a mode allows. */
  static final class ReplacementTooLargeException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    ReplacementTooLargeException(String message) {
      super(message);
    }
  }

  /** Writes the next {@code max} bytes of the replacement (fewer at its end), piece by piece, paced by write stages. */
  private CompletionStage<Void> copy(MessageContext ctx, Replacement r, long max) {
    long bytes = Math.min(max, r.size - r.position);
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (bytes <= 0) {
      done.complete(null);
      return done;
    }
    new Pump(ctx, r, bytes, done).start();
    return done;
  }

  /**
   * Copies bytes from the file to the context: reads the next piece while the current one is
   * being written (two pieces in memory at most), and writes the next only once the engine had
   * room for the current one.
   */
  private final class Pump {
    private final MessageContext ctx;
    private final Replacement r;
    private final CompletableFuture<Void> done;
    private long toRead;
    private CompletableFuture<ByteString> next;

    Pump(MessageContext ctx, Replacement r, long bytes, CompletableFuture<Void> done) {
      this.ctx = ctx;
      this.r = r;
      this.toRead = bytes;
      this.done = done;
    }

    void start() {
      next = readNext();
      step();
    }

    private CompletableFuture<ByteString> readNext() {
      if (toRead == 0) {
        return null;
      }
      int piece = (int) Math.min(owner.chunkBytes(), toRead);
      toRead -= piece;
      return r.read(piece);
    }

    private void step() {
      CompletableFuture<ByteString> current = next;
      if (current == null) {
        done.complete(null);
        return;
      }
      current.whenComplete(
          (piece, error) -> {
            if (error != null) {
              done.completeExceptionally(error);
              return;
            }
            // Read-ahead: fetch the following piece while this one is written.
            next = readNext();
            CompletionStage<Void> written;
            try {
              r.wrote = true;
              written = ctx.write(piece);
            } catch (RuntimeException e) {
              done.completeExceptionally(e);
              return;
            }
            written.whenComplete(
                (v, failure) -> {
                  if (failure != null) {
                    done.completeExceptionally(failure);
                  } else {
                    step();
                  }
                });
          });
    }
  }

  private CompletionStage<Void> guard(MessageContext ctx, Replacement r, CompletionStage<Void> stage) {
    return stage.handle((v, error) -> error).thenCompose(error -> error == null ? Processing.done() : fail(ctx, r, error));
  }

  /** Fails the exchange: a 500 when nothing of the replacement was forwarded, else a failed stage. */
  private CompletionStage<Void> fail(MessageContext ctx, Replacement r, Throwable error) {
    Throwable cause = FileIo.unwrap(error);
    r.failed = true;
    owner.errors.incrementAndGet();
    if (errorLogged.compareAndSet(false, true)) {
      log.warn("exchange={} replace of the {} body with {} failed: {}", exchange.id(), r.direction.label(), r.file, cause.toString());
    }
    r.close();
    boolean forwarded = r.wrote && ctx.bodyMode() != BodyMode.BUFFERED && !r.headersEndOfStream;
    if (!forwarded) {
      ctx.respond(
          ImmediateResponse.of(
                  500,
                  "ext_proc replace failed for exchange " + exchange.id() + ": cannot replace the "
                      + r.direction.label() + " body (" + cause.getClass().getSimpleName() + ")\n")
              .withDetails("ext_proc_replace_failed"));
      return Processing.done();
    }
    return Processing.failed(new IOException("replace of the " + r.direction.label() + " body with " + r.file + " failed", cause));
  }

  /**
   * One direction's replacement file. Operations run on the I/O executor one at a time: each is
   * issued only after the previous one completed (events are serialized, and the pump reads the
   * next piece only after the current one arrived), so the fields need no locks beyond visibility.
   */
  private final class Replacement {
    final Direction direction;
    final Path file;
    volatile boolean inactive;
    volatile boolean failed;
    volatile boolean wrote;
    volatile boolean headersEndOfStream;
    volatile long size;
    volatile long position;
    /** The incoming body's content-length when a STREAMED replacement is spread over it in proportion, else -1. */
    volatile long announcedInput = -1;
    /** Incoming body bytes seen so far (dropped); paces {@link DuplexReplace#PACED} and STREAMED. */
    volatile long inputBytes;
    private FileChannel channel;
    private CompletableFuture<Void> opened;
    private boolean closed;

    Replacement(Direction direction, Path file) {
      this.direction = direction;
      this.file = file;
    }

    synchronized CompletableFuture<Void> open() {
      if (opened == null) {
        opened =
            FileIo.supply(
                owner.io(),
                () -> {
                  synchronized (this) {
                    if (closed) {
                      throw new IOException("replacement " + file + " already closed");
                    }
                    channel = FileChannel.open(file, StandardOpenOption.READ);
                    owner.openFiles.incrementAndGet();
                    size = channel.size();
                  }
                  return null;
                });
      }
      return opened;
    }

    CompletableFuture<ByteString> read(int bytes) {
      return FileIo.supply(
          owner.io(),
          () -> {
            FileChannel source;
            synchronized (this) {
              source = channel;
            }
            if (source == null) {
              throw new IOException("replacement " + file + " is closed");
            }
            byte[] piece = new byte[bytes];
            ByteBuffer buffer = ByteBuffer.wrap(piece);
            long at = position;
            while (buffer.hasRemaining()) {
              int n = source.read(buffer, at + buffer.position());
              if (n < 0) {
                throw new EOFException(
                    "replacement " + file + " ended at " + (at + buffer.position()) + " bytes (expected: " + size + ")");
              }
            }
            position = at + bytes;
            // The array is never written again after this point, so wrapping it without a copy is safe.
            return UnsafeByteOperations.unsafeWrap(piece);
          });
    }

    /** Closes the file; safe to call more than once and from any thread. */
    CompletableFuture<Void> close() {
      FileChannel open;
      synchronized (this) {
        closed = true;
        open = channel;
        channel = null;
      }
      if (open == null) {
        return CompletableFuture.completedFuture(null);
      }
      owner.openFiles.decrementAndGet();
      return FileIo.supply(
          owner.io(),
          () -> {
            open.close();
            return null;
          });
    }
  }

  @Override
  public String toString() {
    return "replace(" + exchange.id() + ")";
  }
}
