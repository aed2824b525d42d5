package dev.extproc.transforms;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.HttpHeaders;
import dev.extproc.Processing;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * The whole-body model: collects a direction's body (in memory up to a threshold, then in a temp
 * file, up to a limit), hands the complete body to a {@link BodyFunction} and streams its result
 * back as the body. For transforms that need everything at once (a signature, a format converter,
 * a library that only takes a whole document).
 *
 * <p>Limits: a {@code content-length} over {@link WholeBodyLimits#maxBytes()} is refused in the
 * headers event (413; 502 for a response); a body that grows past it fails the same way as soon as
 * it does (413 for a request, a failed stream for a response). A temp dir that cannot take the
 * body (full, read-only) gives 507. Temp files are deleted in every outcome: after use, on error,
 * and on {@link #close()} (the exchange's end, via {@link TransformHandler}).
 *
 * <p>Memory: {@code memoryThresholdBytes} of body, plus the result when it is in memory; the file
 * I/O runs on the given executor, never on the engine's threads. Output: in FULL_DUPLEX_STREAMED
 * the result streams with flow control; in STREAMED and BUFFERED it goes into the reply to the
 * last body message, so it must fit {@code ExtProcConfig.maxBodyMessageBytes()}.
 */
public final class WholeBodyProcessor implements DirectionProcessor, AutoCloseable {

  /** Turns the complete body into the new one. */
  @FunctionalInterface
  public interface BodyFunction {
    /**
     * Returns the new body (which may be {@code body} itself). Runs on the I/O executor; may block.
     * Every temp file, the input's and the result's, is deleted once the result has been streamed
     * back or the exchange ended.
     *
     * @throws TransformException to refuse the body with a status
     */
    WholeBody apply(WholeBody body, HttpHeaders headers) throws IOException;
  }

  private enum State { COLLECTING, DONE, FAILED, CLOSED }

  private static final int READ_BYTES = 64 * 1024;

  private final String name;
  private final WholeBodyLimits limits;
  private final Executor io;
  private final BodyFunction function;
  private HttpHeaders headers = HttpHeaders.empty();
  private ByteString memory = ByteString.EMPTY;
  private @Nullable Path spill;
  private @Nullable FileChannel spillChannel;
  private @Nullable WholeBody result;
  private long size;
  private State state = State.COLLECTING;
  private boolean closed;

  public WholeBodyProcessor(String name, WholeBodyLimits limits, Executor io, BodyFunction function) {
    this.name = requireNonNull(name, "name");
    this.limits = requireNonNull(limits, "limits");
    this.io = requireNonNull(io, "io");
    this.function = requireNonNull(function, "function");
  }

  @Override
  public boolean holdsBack() {
    return true;
  }

  @Override
  public CompletionStage<Void> onHeaders(DirectionContext ctx, HttpHeaders headers, boolean endOfStream) {
    this.headers = headers;
    long length = headers.contentLength();
    if (length > limits.maxBytes()) {
      return fail(ctx, new TransformException(413, "body of " + length + " bytes exceeds the whole-body limit of "
          + limits.maxBytes() + " bytes"), true);
    }
    ctx.removeHeader("content-length");
    return Processing.done();
  }

  @Override
  public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
    if (state != State.COLLECTING) {
      return Processing.done();
    }
    size += chunk.size();
    if (size > limits.maxBytes()) {
      return fail(ctx, new TransformException(413, "body exceeds the whole-body limit of " + limits.maxBytes()
          + " bytes (" + size + " bytes so far)"), false);
    }
    if (spill == null && size <= limits.memoryThresholdBytes()) {
      memory = memory.concat(chunk);
      return Processing.done();
    }
    ByteString toWrite = spill == null ? memory.concat(chunk) : chunk;
    memory = ByteString.EMPTY;
    return CompletableFuture.runAsync(() -> append(toWrite), io)
        .handle((ok, error) -> error == null ? Processing.done() : fail(ctx, unwrap(error), false))
        .thenCompose(stage -> stage);
  }

  @Override
  public CompletionStage<Void> onEnd(DirectionContext ctx) {
    if (state != State.COLLECTING) {
      return Processing.done();
    }
    state = State.DONE;
    return CompletableFuture.supplyAsync(this::transform, io)
        .thenCompose(body -> stream(ctx, body))
        .handle((ok, error) -> {
          close();
          return error == null ? Processing.<Void>done() : fail(ctx, unwrap(error), false);
        })
        .thenCompose(stage -> stage);
  }

  private WholeBody transform() {
    WholeBody input;
    synchronized (this) {
      try {
        if (spillChannel != null) {
          spillChannel.close();
          spillChannel = null;
          input = WholeBody.ofFile(spill);
          spill = null;
        } else {
          input = WholeBody.of(memory);
          memory = ByteString.EMPTY;
        }
      } catch (IOException e) {
        throw new TransformException(507, "cannot read the spilled body back: " + e, e);
      }
    }
    WholeBody out;
    try {
      out = function.apply(input, headers);
    } catch (IOException e) {
      input.close();
      throw new TransformException(500, "the body function failed: " + e, e);
    } catch (RuntimeException e) {
      input.close();
      throw e;
    }
    if (out != input) {
      input.close(); // its temp file, if any, is not needed any more
    }
    synchronized (this) {
      if (closed) {
        out.close();
        throw new java.util.concurrent.CancellationException("the exchange ended");
      }
      result = out; // streamed back, then closed (its temp file deleted) by close()
    }
    return out;
  }

  private CompletionStage<Void> stream(DirectionContext ctx, WholeBody body) {
    if (body.inMemory()) {
      try {
        return Writes.all(ctx, body.bytes());
      } catch (IOException e) {
        return Processing.failed(e);
      }
    }
    CompletableFuture<InputStream> opened = CompletableFuture.supplyAsync(() -> {
      try {
        return body.openStream();
      } catch (IOException e) {
        throw new TransformException(507, "cannot read the result: " + e, e);
      }
    }, io);
    return opened.thenCompose(in -> pump(ctx, in).whenComplete((ok, error) -> {
      try {
        in.close();
      } catch (IOException e) {
        // the file is deleted next anyway
      }
    }));
  }

  /** Reads the next piece on the I/O executor, writes it, waits for its stage, repeats. */
  private CompletionStage<Void> pump(DirectionContext ctx, InputStream in) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return ByteString.readFrom(in, READ_BYTES, READ_BYTES);
      } catch (IOException e) {
        throw new TransformException(507, "cannot read the result: " + e, e);
      }
    }, io).thenCompose(piece -> piece.isEmpty() ? Processing.done()
        : Writes.all(ctx, piece).thenCompose(ignored -> pump(ctx, in)));
  }

  private synchronized void append(ByteString bytes) {
    if (closed) {
      return; // the exchange ended meanwhile
    }
    try {
      if (spill == null) {
        spill = Files.createTempFile(limits.tempDir(), "extproc-" + name + "-", ".body");
        spillChannel = FileChannel.open(spill, StandardOpenOption.WRITE);
      }
      for (ByteBuffer buffer : bytes.asReadOnlyByteBufferList()) {
        while (buffer.hasRemaining()) {
          spillChannel.write(buffer);
        }
      }
    } catch (IOException e) {
      throw new TransformException(507, "cannot spill the body to " + limits.tempDir() + ": " + e.getMessage(), e);
    }
  }

  private CompletionStage<Void> fail(DirectionContext ctx, RuntimeException error, boolean inHeaders) {
    state = State.FAILED;
    close();
    return Failures.fail(ctx, name, error, inHeaders);
  }

  private static RuntimeException unwrap(Throwable error) {
    Throwable cause = error;
    while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause instanceof RuntimeException runtime ? runtime : new IllegalStateException(cause);
  }

  /** Deletes every temp file and drops the bytes held. Idempotent; safe from any thread. */
  @Override
  public synchronized void close() {
    closed = true;
    memory = ByteString.EMPTY;
    if (spillChannel != null) {
      try {
        spillChannel.close();
      } catch (IOException e) {
        // deleted next
      }
      spillChannel = null;
    }
    if (spill != null) {
      try {
        Files.deleteIfExists(spill);
      } catch (IOException e) {
        // nothing more to do
      }
      spill = null;
    }
    if (result != null) {
      result.close();
      result = null;
    }
    if (state == State.COLLECTING) {
      state = State.CLOSED;
    }
  }

  /** Returns the bytes collected so far (for tests and stats). */
  public long size() {
    return size;
  }
}
