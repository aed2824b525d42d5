package dev.extproc.processors;

import static java.util.Objects.requireNonNull;

import dev.extproc.Direction;
import dev.extproc.ExchangeInfo;
import dev.extproc.ExchangeProcessor;
import dev.extproc.ExtProcConfig;
import dev.extproc.ProcessorFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Makes replace processors: the request body and/or the response body of every exchange is
 * replaced by the content of a file, read in pieces of {@code chunkBytes} (64 KiB by default) as
 * it is sent, never whole in memory. What the other side receives is exactly the file, byte for
 * byte, in every body mode:
 *
 * <ul>
 *   <li><b>STREAMED</b>: each incoming chunk is dropped and its reply carries the next slice of
 *       the replacement, {@code max(chunkBytes, 1.25 x chunk length)} bytes, so a replacement up
 *       to 1.25 times the input is out before the end; the remainder goes with the reply to the last
 *       message. A shorter replacement, once out, leaves the remaining chunks cleared. A
 *       replacement larger than {@code maxReplyBytes} cannot count on the last reply: it is accepted
 *       only when the headers carry a {@code content-length} and the replacement is at most {@link
 *       #MAX_STREAMED_EXPANSION} times that length, and is then spread over the replies in
 *       proportion to the input (each reply about size/content-length times its chunk). Otherwise
 *       the exchange is refused <em>at header time</em> with a 500, before the upstream sees the
 *       request, so a response can never start and then be cut short. Unlike the seed, nothing is
 *       truncated.
 *   <li><b>FULL_DUPLEX_STREAMED</b>: {@link DuplexReplace#AFTER_END} drops the incoming body and
 *       streams the replacement when it ended; {@link DuplexReplace#EAGER} starts streaming with
 *       the first chunk (same per-chunk slices as STREAMED) and streams the rest at the end;
 *       {@link DuplexReplace#PACED} writes, after each incoming chunk, only while the bytes written
 *       stay within the incoming bytes seen plus {@code paceBudgetBytes} (1 MiB by default), and
 *       streams the rest at the end. All write pieces of at most {@code chunkBytes}, each after the
 *       engine had room for the previous one.
 *   <li><b>BUFFERED</b>: the whole replacement in the one body reply (at most {@code
 *       maxReplyBytes}); the engine sets {@code content-length} to its size when the message carried one.
 *   <li>A message without a body (headers with end of stream) gets the whole replacement as its
 *       body (a CONTINUE_AND_REPLACE; at most {@code maxReplyBytes}), so a 0 B upload is replaced too.
 *   <li>NONE: nothing to replace (the body never reaches the processor). BUFFERED_PARTIAL: refused
 *       with a 500, since the unprocessed remainder would pass through.
 * </ul>
 *
 * <p>Errors (file unreadable, replacement too large for a reply) fail the exchange: a 500 when
 * nothing of the replacement was forwarded yet, else a failed stream. Logged once per exchange.
 */
public final class ReplaceProcessorFactory implements ProcessorFactory {
  /**
   * In STREAMED, the largest ratio of a replacement larger than one reply to the incoming body's
   * {@code content-length}: 4. Each reply then carries at most 4 times its chunk, so it fits one
   * reply as long as Envoy's chunks stay under a quarter of {@code maxReplyBytes} (8 MiB by default;
   * Envoy's STREAMED chunks are bounded by its buffer limits, 1 MiB in our configuration).
   */
  public static final int MAX_STREAMED_EXPANSION = 4;

  /** The default {@link Builder#paceBudgetBytes(long)}: 1 MiB. */
  public static final long DEFAULT_PACE_BUDGET_BYTES = 1L << 20;

  private final Map<Direction, Path> files;
  private final DuplexReplace duplexReplace;
  private final int chunkBytes;
  private final int maxReplyBytes;
  private final long paceBudgetBytes;
  private final Executor io;
  final AtomicLong openFiles = new AtomicLong();
  final AtomicLong errors = new AtomicLong();

  private ReplaceProcessorFactory(Builder builder) {
    this.files = Map.copyOf(builder.files);
    this.duplexReplace = builder.duplexReplace;
    this.chunkBytes = builder.chunkBytes;
    this.maxReplyBytes = builder.maxReplyBytes;
    this.paceBudgetBytes = builder.paceBudgetBytes;
    this.io = builder.io;
  }

  /** Returns a builder whose processors read files on {@code io}. */
  public static Builder builder(Executor io) {
    return new Builder(requireNonNull(io, "io"));
  }

  @Override
  public ExchangeProcessor newProcessor(ExchangeInfo exchange) {
    return new ReplaceProcessor(this, exchange);
  }

  /** Returns the replacement file of {@code direction}, if that direction is replaced. */
  public Optional<Path> file(Direction direction) {
    return Optional.ofNullable(files.get(direction));
  }

  /** Returns the FULL_DUPLEX_STREAMED strategy. */
  public DuplexReplace duplexReplace() {
    return duplexReplace;
  }

  /** Returns the largest piece read from a file and written at once. */
  public int chunkBytes() {
    return chunkBytes;
  }

  /** Returns the largest body one STREAMED or BUFFERED reply may carry. */
  public int maxReplyBytes() {
    return maxReplyBytes;
  }

  /**
   * Returns how far {@link DuplexReplace#PACED} lets the replacement run ahead of the incoming
   * body: bytes written before the end never exceed the incoming bytes seen plus this.
   */
  public long paceBudgetBytes() {
    return paceBudgetBytes;
  }

  Executor io() {
    return io;
  }

  /** Returns the replacement files open right now. */
  public long openFiles() {
    return openFiles.get();
  }

  /** Returns the exchanges failed by a replacement error since this factory was made. */
  public long errors() {
    return errors.get();
  }

  /** Returns the gauges a server exports: {@code replace_open_files}, {@code replace_errors}. */
  public Map<String, LongSupplier> gauges() {
    Map<String, LongSupplier> gauges = new LinkedHashMap<>();
    gauges.put("replace_open_files", this::openFiles);
    gauges.put("replace_errors", this::errors);
    return Map.copyOf(gauges);
  }

  @Override
  public String toString() {
    return "replace(" + files + ", duplex=" + duplexReplace
        + (duplexReplace == DuplexReplace.PACED ? ", paceBudget=" + paceBudgetBytes : "") + ")";
  }

  /** Builds a {@link ReplaceProcessorFactory}; at least one direction must be replaced. */
  public static final class Builder {
    private final Executor io;
    private final Map<Direction, Path> files = new LinkedHashMap<>();
    private DuplexReplace duplexReplace = DuplexReplace.AFTER_END;
    private int chunkBytes = ExtProcConfig.DEFAULT_MAX_CHUNK_BYTES;
    private int maxReplyBytes = ExtProcConfig.DEFAULT_MAX_BODY_MESSAGE_BYTES;
    private long paceBudgetBytes = DEFAULT_PACE_BUDGET_BYTES;

    private Builder(Executor io) {
      this.io = io;
    }

    /** Replaces the request body with the content of {@code file}. */
    public Builder requestBody(Path file) {
      return body(Direction.REQUEST, file);
    }

    /** Replaces the response body with the content of {@code file}. */
    public Builder responseBody(Path file) {
      return body(Direction.RESPONSE, file);
    }

    /**
     * Replaces {@code direction}'s body with the content of {@code file}.
     *
     * @throws IllegalArgumentException when {@code file} is not a readable regular file
     */
    public Builder body(Direction direction, Path file) {
      requireNonNull(direction, "direction");
      requireNonNull(file, "file");
      if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
        throw new IllegalArgumentException(
            direction.label() + " replacement: " + file + " (expected: a readable regular file)");
      }
      files.put(direction, file.toAbsolutePath());
      return this;
    }

    /** Sets the FULL_DUPLEX_STREAMED strategy; {@link DuplexReplace#AFTER_END} by default. */
    public Builder duplexReplace(DuplexReplace strategy) {
      this.duplexReplace = requireNonNull(strategy, "strategy");
      return this;
    }

    /** Sets the largest piece read and written at once; 64 KiB by default. */
    public Builder chunkBytes(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("chunkBytes: " + bytes + " (expected: >= 1)");
      }
      this.chunkBytes = bytes;
      return this;
    }

    /**
     * Sets the largest body one STREAMED or BUFFERED reply may carry: match the engine's {@link
     * ExtProcConfig#maxBodyMessageBytes()}. 32 MiB by default.
     */
    public Builder maxReplyBytes(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxReplyBytes: " + bytes + " (expected: >= 1)");
      }
      this.maxReplyBytes = bytes;
      return this;
    }

    /**
     * Sets how far {@link DuplexReplace#PACED} lets the replacement run ahead of the incoming body
     * (bytes written before the end stay at or below the incoming bytes seen plus this); 1 MiB by
     * default. 0 writes no more than the incoming bytes before the end.
     */
    public Builder paceBudgetBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("paceBudgetBytes: " + bytes + " (expected: >= 0)");
      }
      this.paceBudgetBytes = bytes;
      return this;
    }

    /**
     * Returns the factory.
     *
     * @throws IllegalStateException when no direction is replaced
     */
    public ReplaceProcessorFactory build() {
      if (files.isEmpty()) {
        throw new IllegalStateException(
            "replace: no replacement file (expected: a request body file, a response body file or both)");
      }
      return new ReplaceProcessorFactory(this);
    }
  }
}
