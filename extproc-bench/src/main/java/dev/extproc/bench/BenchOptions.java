package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What {@code extproc bench} was asked to do.
 *
 * @param scenario {@code seed}, {@code passthrough}, {@code slow-processor}, {@code small}, {@code redact} or {@code json-mask}
 * @param routes the routes to run, in order
 * @param bodyBytes the upload body size, or null for the whole input file (the seed's 70.4 MiB)
 * @param concurrency the concurrency levels, or empty for the scenario's default (10; 1, 10 and 50 for passthrough)
 * @param mediaDir where {@code input.mp4}, {@code request-replacement.mp4} and {@code response-replacement.mp4} are
 * @param smallDuration how long each route's small-request loop runs
 * @param timeout how long one batch of uploads may take
 * @param profile whether to take Envoy heap profiles and a profiling JFR recording
 * @param extraServerArgs more ext_proc server options, appended to the scenario's (such as
 *     {@code --max-pending-output-bytes 256KiB})
 */
public record BenchOptions(
    String scenario,
    List<Route> routes,
    Long bodyBytes,
    List<Integer> concurrency,
    Path mediaDir,
    Duration smallDuration,
    Duration timeout,
    boolean profile,
    List<String> extraServerArgs) {

  /** The scenario names. */
  public static final List<String> SCENARIOS = List.of("seed", "passthrough", "slow-processor", "small", "sse", "redact", "json-mask");

  /** Validates and copies. */
  public BenchOptions {
    requireNonNull(scenario, "scenario");
    if (!SCENARIOS.contains(scenario)) {
      throw new IllegalArgumentException("scenario: " + scenario + " (expected: one of " + SCENARIOS + ")");
    }
    routes = List.copyOf(routes);
    if (routes.isEmpty()) {
      throw new IllegalArgumentException("routes: [] (expected: at least one)");
    }
    concurrency = List.copyOf(concurrency);
    for (int c : concurrency) {
      if (c < 1) {
        throw new IllegalArgumentException("concurrency: " + c + " (expected: >= 1)");
      }
    }
    if (bodyBytes != null && bodyBytes < 0) {
      throw new IllegalArgumentException("bodyBytes: " + bodyBytes + " (expected: >= 0)");
    }
    requireNonNull(mediaDir, "mediaDir");
    requireNonNull(smallDuration, "smallDuration");
    requireNonNull(timeout, "timeout");
    extraServerArgs = List.copyOf(extraServerArgs);
  }

  /** Returns the file names of the test media, as {@code extproc media} writes them. */
  public Path input() {
    return mediaDir.resolve("input.mp4");
  }

  /** Returns the seed's request replacement (78 MiB). */
  public Path requestReplacement() {
    return mediaDir.resolve("request-replacement.mp4");
  }

  /** Returns the seed's response replacement (21.9 MiB). */
  public Path responseReplacement() {
    return mediaDir.resolve("response-replacement.mp4");
  }
}
