package dev.extproc.transforms;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * Where a whole body is collected: in memory up to {@code memoryThresholdBytes}, then in a temp
 * file in {@code tempDir}, up to {@code maxBytes} in all (beyond: 413).
 *
 * @param memoryThresholdBytes the largest body kept in memory
 * @param maxBytes the largest body accepted
 * @param tempDir the directory of the temp files
 */
public record WholeBodyLimits(long memoryThresholdBytes, long maxBytes, Path tempDir) {
  public WholeBodyLimits {
    requireNonNull(tempDir, "tempDir");
    if (memoryThresholdBytes < 0 || maxBytes < 0) {
      throw new IllegalArgumentException("whole-body limits: threshold " + memoryThresholdBytes + ", max " + maxBytes
          + " (expected: >= 0)");
    }
  }
}
