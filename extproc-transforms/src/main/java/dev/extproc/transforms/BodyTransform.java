package dev.extproc.transforms;

import com.google.protobuf.ByteString;

/**
 * A push-style byte transform of one body: chunks go in as they arrive, output comes out as soon
 * as it is decided, and {@link #finish()} returns whatever was held back. Implementations bound
 * what they hold (and say how in their Javadoc). Not thread-safe: one body, one thread at a time.
 *
 * <p>Errors in the body (malformed compression, invalid text, a limit) are thrown as {@link
 * TransformException}; after one, the transform must not be used again.
 */
public interface BodyTransform extends AutoCloseable {

  /** Takes the next chunk and returns the output it decides (possibly empty). */
  ByteString apply(ByteString chunk);

  /** Ends the body and returns the output still held (possibly empty). Called once. */
  ByteString finish();

  /**
   * Releases what the transform holds outside the heap (an Inflater's native memory), also when
   * the body was abandoned midway. Idempotent; the default does nothing.
   */
  @Override
  default void close() {}

  /** Returns a transform that feeds this one's output into {@code next}. */
  default BodyTransform andThen(BodyTransform next) {
    BodyTransform first = this;
    return new BodyTransform() {
      @Override
      public ByteString apply(ByteString chunk) {
        ByteString mid = first.apply(chunk);
        return mid.isEmpty() ? ByteString.EMPTY : next.apply(mid);
      }

      @Override
      public ByteString finish() {
        ByteString mid = first.finish();
        ByteString out = mid.isEmpty() ? ByteString.EMPTY : next.apply(mid);
        return out.concat(next.finish());
      }

      @Override
      public void close() {
        try {
          first.close();
        } finally {
          next.close();
        }
      }
    };
  }

  /** Returns the transform that changes nothing and holds nothing. */
  static BodyTransform identity() {
    return new BodyTransform() {
      @Override
      public ByteString apply(ByteString chunk) {
        return chunk;
      }

      @Override
      public ByteString finish() {
        return ByteString.EMPTY;
      }
    };
  }
}
