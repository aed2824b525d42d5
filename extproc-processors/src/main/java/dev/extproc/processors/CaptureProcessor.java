package dev.extproc.processors;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ExchangeInfo;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExchangeProcessor;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import dev.extproc.MessageContext;
import dev.extproc.Processing;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One exchange's capture: a {@link CaptureFile} per direction. See {@link CaptureProcessorFactory}. */
final class CaptureProcessor implements ExchangeProcessor {
  private static final Logger log = LoggerFactory.getLogger(CaptureProcessor.class);

  /** Largest slice handed to one FileChannel.write, so the JDK's per-thread temporary direct buffers stay small. */
  private static final int MAX_WRITE_SLICE = 256 * 1024;

  private final CaptureProcessorFactory owner;
  private final ExchangeInfo exchange;
  private final Map<Direction, CaptureFile> files = new EnumMap<>(Direction.class);
  private final AtomicBoolean errorLogged = new AtomicBoolean();

  CaptureProcessor(CaptureProcessorFactory owner, ExchangeInfo exchange) {
    this.owner = owner;
    this.exchange = exchange;
  }

  /**
   * Borrows chunks (zero-copy): a chunk is read only by its file write and forwarded by {@code
   * ctx.write}, both before {@code onBody}'s stage completes, and an abandon waits for a write in
   * flight; nothing keeps a chunk afterwards.
   */
  @Override
  public boolean borrowsChunks(Direction direction) {
    return true;
  }

  @Override
  public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
    if (ctx.bodyMode() == BodyMode.NONE && !endOfStream) {
      // No body event (and no onEnd) will follow: nothing to capture, and no file to leave behind.
      return Processing.done();
    }
    CaptureFile file = fileFor(ctx.direction());
    return handle(ctx, file, file.open());
  }

  @Override
  public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
    CaptureFile file = fileFor(ctx.direction());
    if (file.failed) {
      return Processing.done();
    }
    return handle(ctx, file, file.append(chunk))
        .thenCompose(
            v -> {
              if (file.failed) {
                return Processing.done();
              }
              // Forward only once the bytes are on disk: a failure then never follows a forwarded chunk of this event.
              file.wrote = true;
              return ctx.write(chunk);
            });
  }

  @Override
  public CompletionStage<Void> onEnd(MessageContext ctx) {
    CaptureFile file = fileFor(ctx.direction());
    if (file.failed) {
      return Processing.done();
    }
    return handle(ctx, file, file.complete());
  }

  @Override
  public void onClose(ExchangeOutcome outcome) {
    CaptureFile[] open;
    synchronized (files) {
      open = files.values().toArray(new CaptureFile[0]);
    }
    for (CaptureFile file : open) {
      file.abandon();
    }
  }

  private CaptureFile fileFor(Direction direction) {
    synchronized (files) {
      return files.computeIfAbsent(direction, CaptureFile::new);
    }
  }

  /** Turns a failed I/O stage into the exchange's failure: a 500 when nothing was forwarded, else a failed stage. */
  private CompletionStage<Void> handle(MessageContext ctx, CaptureFile file, CompletionStage<Void> io) {
    return io.handle((v, error) -> error)
        .thenCompose(
            error -> {
              if (error == null) {
                return Processing.done();
              }
              Throwable cause = FileIo.unwrap(error);
              file.failed = true;
              owner.errors.incrementAndGet();
              String what = "capture of the " + file.direction.label() + " body to " + file.partial;
              if (errorLogged.compareAndSet(false, true)) {
                log.warn("exchange={} {} failed: {}", exchange.id(), what, cause.toString());
              }
              boolean forwarded = file.wrote && ctx.bodyMode() != BodyMode.BUFFERED;
              if (!forwarded) {
                ctx.respond(
                    ImmediateResponse.of(
                            500,
                            "ext_proc capture failed for exchange " + exchange.id() + ": cannot write the "
                                + file.direction.label() + " body (" + cause.getClass().getSimpleName() + ")\n")
                        .withDetails("ext_proc_capture_failed"));
                return Processing.done();
              }
              return Processing.failed(new IOException(what + " failed after part of the body was forwarded", cause));
            });
  }

  /**
   * One direction's file. File operations run one after the other on the I/O executor, chained
   * on {@link #tail}, so an abandon that arrives while a write is in flight runs after it.
   */
  private final class CaptureFile {
    final Direction direction;
    final Path partial;
    final Path complete;
    /** Whether part of the body was passed on (then a failure can no longer become a 500). Event-serialized. */
    volatile boolean wrote;
    /** Whether this direction failed; later events pass nothing on. */
    volatile boolean failed;
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    // Touched only by operations on the I/O executor, which run one at a time in tail order.
    private FileChannel channel;
    private boolean opened;
    private boolean finished;

    CaptureFile(Direction direction) {
      this.direction = direction;
      String base = exchange.id() + "." + direction.label() + ".body";
      this.partial = owner.dir().resolve(base + ".partial");
      this.complete = owner.dir().resolve(base);
    }

    CompletionStage<Void> open() {
      return enqueue(this::ensureOpen);
    }

    CompletionStage<Void> append(ByteString chunk) {
      return enqueue(
          () -> {
            ensureOpen();
            for (ByteBuffer buffer : chunk.asReadOnlyByteBufferList()) {
              while (buffer.hasRemaining()) {
                ByteBuffer slice = buffer.slice();
                slice.limit(Math.min(slice.remaining(), MAX_WRITE_SLICE));
                int written = channel.write(slice);
                buffer.position(buffer.position() + written);
              }
            }
          });
    }

    CompletionStage<Void> complete() {
      return enqueue(
          () -> {
            ensureOpen();
            finished = true;
            closeChannel();
            try {
              Files.move(partial, complete, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
              owner.filesPartial.incrementAndGet();
              throw e;
            }
            owner.filesCompleted.incrementAndGet();
          });
    }

    /** Closes the file if the exchange ended before the direction did, leaving the {@code .partial} file. */
    void abandon() {
      synchronized (this) {
        tail =
            tail.handleAsync(
                (v, error) -> {
                  if (channel != null) {
                    try {
                      closeChannel();
                    } catch (IOException e) {
                      log.debug("exchange={} closing {} failed: {}", exchange.id(), partial, e.toString());
                    }
                    if (!finished) {
                      owner.filesPartial.incrementAndGet();
                    }
                  }
                  finished = true;
                  return null;
                },
                owner.io());
      }
    }

    private void ensureOpen() throws IOException {
      if (finished) {
        throw new IOException("capture file " + partial + " is already closed");
      }
      if (!opened) {
        opened = true;
        channel =
            FileChannel.open(
                partial, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        owner.openFiles.incrementAndGet();
      }
    }

    private void closeChannel() throws IOException {
      FileChannel open = channel;
      if (open != null) {
        channel = null;
        owner.openFiles.decrementAndGet();
        open.close();
      }
    }

    private synchronized CompletionStage<Void> enqueue(FileIo.IoRun operation) {
      // A failed operation fails every later one: a file with a hole is never completed.
      CompletableFuture<Void> next =
          tail.thenApplyAsync(
              v -> {
                try {
                  operation.run();
                  return null;
                } catch (IOException e) {
                  throw new CompletionException(e);
                }
              },
              owner.io());
      tail = next;
      return next;
    }
  }

  @Override
  public String toString() {
    return "capture(" + exchange.id() + ")";
  }
}
