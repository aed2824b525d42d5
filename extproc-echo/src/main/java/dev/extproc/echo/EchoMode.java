package dev.extproc.echo;

/**
 * How the echo backend reads the request body before it answers.
 *
 * <ul>
 *   <li>{@link Streaming} (the default): the response starts as soon as the request headers
 *       arrive and each body chunk is written back as it is received, with backpressure, so
 *       memory stays bounded whatever the body size.
 *   <li>{@link Aggregating}: the seed's behaviour (Netty's {@code HttpObjectAggregator}): the whole
 *       HTTP/1.1 request is buffered, then answered with a content-length; a body over the limit
 *       gets 413. HTTP/2 streams are always echoed in streaming mode.
 * </ul>
 */
public sealed interface EchoMode permits EchoMode.Streaming, EchoMode.Aggregating {

  /** The seed's default aggregation limit: 100 MiB. */
  int DEFAULT_MAX_CONTENT_LENGTH = 100 * 1024 * 1024;

  /** Returns the streaming mode. */
  static Streaming streaming() {
    return new Streaming();
  }

  /** Returns the aggregating mode with a limit of {@code maxContentLength} body bytes. */
  static Aggregating aggregating(int maxContentLength) {
    return new Aggregating(maxContentLength);
  }

  /** Echoes the body as it arrives (true full duplex). */
  record Streaming() implements EchoMode {}

  /**
   * Buffers the whole HTTP/1.1 request, then echoes it with a content-length.
   *
   * @param maxContentLength the largest accepted body, in bytes; larger bodies get 413
   */
  record Aggregating(int maxContentLength) implements EchoMode {
    public Aggregating {
      if (maxContentLength < 0) {
        throw new IllegalArgumentException(
            "maxContentLength: " + maxContentLength + " (expected: >= 0)");
      }
    }
  }
}
