package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One batch of concurrent uploads: {@code concurrency} POSTs of the first {@code bodyBytes} of
 * {@code bodyFile} to {@code target}, one connection each, each response checked against {@code expected}.
 *
 * @param target {@code http://host:port/path}
 * @param chunkBytes how much of the file is read and written at a time
 * @param timeout the whole batch must end within this time, else the unfinished uploads fail
 */
public record UploadSpec(
    URI target, Path bodyFile, long bodyBytes, ExpectedBody expected, int concurrency, int chunkBytes, Duration timeout) {

  /** The default read/write piece: 64 KiB, as curl reads its upload file. */
  public static final int DEFAULT_CHUNK_BYTES = 64 * 1024;

  /** Validates. */
  public UploadSpec {
    requireNonNull(target, "target");
    requireNonNull(bodyFile, "bodyFile");
    requireNonNull(expected, "expected");
    requireNonNull(timeout, "timeout");
    if (!"http".equals(target.getScheme()) || target.getPort() <= 0) {
      throw new IllegalArgumentException("target: " + target + " (expected: http://host:port/path)");
    }
    if (bodyBytes < 0) {
      throw new IllegalArgumentException("bodyBytes: " + bodyBytes + " (expected: >= 0)");
    }
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency: " + concurrency + " (expected: >= 1)");
    }
    if (chunkBytes < 1) {
      throw new IllegalArgumentException("chunkBytes: " + chunkBytes + " (expected: >= 1)");
    }
  }
}
