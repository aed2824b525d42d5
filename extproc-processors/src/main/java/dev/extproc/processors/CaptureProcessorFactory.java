package dev.extproc.processors;

import static java.util.Objects.requireNonNull;

import dev.extproc.ExchangeInfo;
import dev.extproc.ExchangeProcessor;
import dev.extproc.ProcessorFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Makes capture processors: each exchange's request and response bodies are written, as the
 * chunks arrive, to {@code DIR/<exchange id>.request.body.partial} and {@code
 * DIR/<exchange id>.response.body.partial}, renamed (atomic move) to {@code
 * DIR/<exchange id>.request.body} and {@code DIR/<exchange id>.response.body} when that
 * direction's body ends. The bytes pass through unchanged.
 *
 * <pre>{@code
 * ExecutorService io = FileIo.newExecutor("capture-io", 4);
 * CaptureProcessorFactory capture = CaptureProcessorFactory.create(Path.of("captures"), io);
 * }</pre>
 *
 * <p><b>Lifecycle of a file.</b> A direction's file is opened at its headers (or at its first
 * body event when Envoy skips headers), appended to chunk by chunk, closed and renamed at its
 * end. An exchange that ends before a direction's end (client abort, upstream reset, stream
 * failure, BUFFERED_PARTIAL's unprocessed remainder) leaves that direction's {@code .partial}
 * file closed on disk for inspection, never a complete-looking name; {@link #partialFiles()}
 * counts them. A direction in body mode NONE is not captured.
 *
 * <p><b>Memory and pacing.</b> A chunk is held only until it is written; each event's stage
 * completes when its write is done, on the {@code io} executor, so a slow disk slows Envoy down.
 *
 * <p><b>Errors.</b> A failure to open, write or rename fails that exchange: with an immediate
 * 500 when nothing of the direction has been forwarded yet, otherwise by failing the event's
 * stage (the stream fails). It is logged once per exchange and counted in {@link #errors()}; other
 * exchanges are unaffected.
 */
public final class CaptureProcessorFactory implements ProcessorFactory {
  private final Path dir;
  private final Executor io;
  final AtomicLong openFiles = new AtomicLong();
  final AtomicLong filesCompleted = new AtomicLong();
  final AtomicLong filesPartial = new AtomicLong();
  final AtomicLong errors = new AtomicLong();

  private CaptureProcessorFactory(Path dir, Executor io) {
    this.dir = dir;
    this.io = io;
  }

  /**
   * Returns a factory capturing into {@code dir}, creating the directory when missing; file I/O
   * runs on {@code io}.
   *
   * @throws IllegalArgumentException when {@code dir} cannot be created or is not a directory
   */
  public static CaptureProcessorFactory create(Path dir, Executor io) {
    requireNonNull(dir, "dir");
    requireNonNull(io, "io");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "dir: " + dir + " (expected: a directory that exists or can be created; " + e + ")", e);
    }
    if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
      throw new IllegalArgumentException("dir: " + dir + " (expected: a writable directory)");
    }
    return new CaptureProcessorFactory(dir.toAbsolutePath(), io);
  }

  @Override
  public ExchangeProcessor newProcessor(ExchangeInfo exchange) {
    return new CaptureProcessor(this, exchange);
  }

  /** Returns the capture directory (absolute). */
  public Path dir() {
    return dir;
  }

  Executor io() {
    return io;
  }

  /** Returns the capture files open right now. */
  public long openFiles() {
    return openFiles.get();
  }

  /** Returns the files completed (renamed into place) since this factory was made. */
  public long filesCompleted() {
    return filesCompleted.get();
  }

  /** Returns the {@code .partial} files left behind by exchanges that ended before their body did. */
  public long partialFiles() {
    return filesPartial.get();
  }

  /** Returns the capture failures (open, write or rename) since this factory was made. */
  public long errors() {
    return errors.get();
  }

  /**
   * Returns the gauges a server exports: {@code capture_open_files}, {@code
   * capture_files_completed}, {@code capture_files_partial}, {@code capture_errors}.
   */
  public Map<String, LongSupplier> gauges() {
    Map<String, LongSupplier> gauges = new LinkedHashMap<>();
    gauges.put("capture_open_files", this::openFiles);
    gauges.put("capture_files_completed", this::filesCompleted);
    gauges.put("capture_files_partial", this::partialFiles);
    gauges.put("capture_errors", this::errors);
    return Map.copyOf(gauges);
  }

  @Override
  public String toString() {
    return "capture(" + dir + ")";
  }
}
