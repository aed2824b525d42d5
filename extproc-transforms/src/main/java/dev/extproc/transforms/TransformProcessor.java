package dev.extproc.transforms;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import dev.extproc.Direction;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.HttpHeaders;
import dev.extproc.Processing;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * Runs a {@link BodyTransform} over one direction's body, in every body mode: decodes a gzip or
 * deflate body first and re-encodes the result, or removes the encoding ({@link CodingPolicy}),
 * fixes the headers, writes the output in budget-sized pieces and reports errors clearly.
 *
 * <p>Errors ({@link TransformException}, a {@link CarryOverflowException}): when the client has not
 * seen a response yet (the request direction, or the response headers event) the exchange is
 * answered with the error's status and reason as an immediate response; otherwise the event's stage
 * fails, so the engine fails the stream and Envoy resets it: never a truncated 200.
 *
 * <p>Memory: what the transform holds (see each), plus one chunk's output. Not thread-safe; one
 * instance per direction of one exchange, driven by the engine's serial executor. {@link
 * #close()} releases the transform when the exchange ends, however it ends.
 */
public final class TransformProcessor implements DirectionProcessor, AutoCloseable {

  /** What becomes of a compressed body's encoding. */
  public enum CodingPolicy {
    /** Decode, transform, encode again with the same coding; content-encoding stays. */
    REENCODE,
    /** Decode and transform; content-encoding is removed. */
    REMOVE
  }

  /** Chooses the transform for one direction from its headers. */
  @FunctionalInterface
  public interface Selector {
    /**
     * Returns the transform for a body with these headers, or {@code null} to pass it through
     * untouched (no copy).
     *
     * @throws TransformException to refuse the body (an unsupported charset, a limit)
     */
    @Nullable BodyTransform select(HttpHeaders headers);
  }

  /** Called after the body's last output is written: counts into metadata, for example. */
  @FunctionalInterface
  public interface Finisher {
    void finished(DirectionContext ctx);
  }

  private final String name;
  private final Selector selector;
  private final CodingPolicy codingPolicy;
  private final DecodeLimits decodeLimits;
  private final Finisher finisher;
  private @Nullable BodyTransform transform;
  private boolean failed;

  /**
   * @param name the processor's name, prefixed to error reasons
   * @param selector picks the transform per body
   * @param codingPolicy what becomes of a gzip/deflate encoding
   * @param decodeLimits the decompression-bomb guard
   * @param finisher called after the last output
   */
  public TransformProcessor(String name, Selector selector, CodingPolicy codingPolicy, DecodeLimits decodeLimits,
      Finisher finisher) {
    this.name = requireNonNull(name, "name");
    this.selector = requireNonNull(selector, "selector");
    this.codingPolicy = requireNonNull(codingPolicy, "codingPolicy");
    this.decodeLimits = requireNonNull(decodeLimits, "decodeLimits");
    this.finisher = requireNonNull(finisher, "finisher");
  }

  @Override
  public boolean holdsBack() {
    return true;
  }

  @Override
  public CompletionStage<Void> onHeaders(DirectionContext ctx, HttpHeaders headers, boolean endOfStream) {
    try {
      BodyTransform inner = selector.select(headers);
      if (inner == null) {
        return Processing.done();
      }
      ContentCoding coding;
      try {
        coding = ContentCoding.of(headers.get("content-encoding"));
      } catch (TransformException e) {
        inner.close();
        throw e;
      }
      if (coding == ContentCoding.IDENTITY) {
        transform = inner;
      } else if (codingPolicy == CodingPolicy.REENCODE) {
        transform = new InflatingDecoder(coding, decodeLimits).andThen(inner).andThen(new DeflatingEncoder(coding, 6));
      } else {
        transform = new InflatingDecoder(coding, decodeLimits).andThen(inner);
        ctx.removeHeader("content-encoding");
      }
      if (ctx.direction() == Direction.REQUEST) {
        // Ask the upstream only for codings this processor can read back.
        ctx.setHeader("accept-encoding", ContentCoding.ACCEPT);
      }
      // The output length differs from the input's: let Envoy frame the body itself.
      ctx.removeHeader("content-length");
      return Processing.done();
    } catch (RuntimeException e) {
      return fail(ctx, e, true);
    }
  }

  @Override
  public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
    if (failed) {
      return Processing.done();
    }
    if (transform == null) {
      return ctx.passThrough(chunk);
    }
    try {
      return Writes.all(ctx, transform.apply(chunk));
    } catch (RuntimeException e) {
      return fail(ctx, e, false);
    }
  }

  @Override
  public CompletionStage<Void> onEnd(DirectionContext ctx) {
    if (failed || transform == null) {
      return Processing.done();
    }
    try {
      ByteString tail = transform.finish();
      close();
      finisher.finished(ctx);
      return Writes.all(ctx, tail);
    } catch (RuntimeException e) {
      return fail(ctx, e, false);
    }
  }

  /** Releases the transform (idempotent); called at the body's end and when the exchange closes. */
  @Override
  public void close() {
    BodyTransform held = transform;
    transform = null;
    if (held != null) {
      held.close();
    }
  }

  private CompletionStage<Void> fail(DirectionContext ctx, RuntimeException e, boolean inHeaders) {
    failed = true;
    close();
    return Failures.fail(ctx, name, e, inHeaders);
  }

  @Override
  public String toString() {
    return "TransformProcessor[" + name + "]";
  }
}
