package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One scenario run to do: its setup, load and expected responses.
 *
 * @param scenario {@code seed}, {@code passthrough}, {@code slow-processor} or {@code small}
 * @param variant what distinguishes this run within the scenario, or empty
 * @param description one sentence for the report
 * @param routes the routes, in order
 * @param concurrency concurrent uploads, or connections for small requests
 * @param bodyFile the upload body's file (unused by small requests)
 * @param bodyBytes how many bytes of it are sent (the body size of small requests)
 * @param expectedExtProc the expected response on ext_proc routes (null for small requests: the body echoed)
 * @param expectedBaseline the expected response on the baseline listener (null for small requests)
 * @param largestBodyBytes the largest body Envoy must buffer on a BUFFERED route (request, its replacement, response)
 * @param aggregatingEcho whether the echo aggregates the body before answering
 * @param processorArgs the ext_proc server's processor options
 * @param capture whether the processor chain captures bodies (then {@code --capture-dir} is added per route)
 * @param smallDuration how long each route's closed loop runs (small requests only), else null
 * @param timeout the time a batch of uploads may take
 */
public record ScenarioPlan(
    String scenario,
    String variant,
    String description,
    List<Route> routes,
    int concurrency,
    Path bodyFile,
    long bodyBytes,
    ExpectedBody expectedExtProc,
    ExpectedBody expectedBaseline,
    long largestBodyBytes,
    boolean aggregatingEcho,
    List<String> processorArgs,
    boolean capture,
    Duration smallDuration,
    Duration timeout) {

  /** Validates and copies. */
  public ScenarioPlan {
    requireNonNull(scenario, "scenario");
    requireNonNull(variant, "variant");
    requireNonNull(description, "description");
    routes = List.copyOf(routes);
    processorArgs = List.copyOf(processorArgs);
    requireNonNull(timeout, "timeout");
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency: " + concurrency + " (expected: >= 1)");
    }
    if (smallDuration == null) {
      requireNonNull(bodyFile, "bodyFile");
      requireNonNull(expectedExtProc, "expectedExtProc");
      requireNonNull(expectedBaseline, "expectedBaseline");
    }
  }

  /** Returns whether this is the closed loop of small requests. */
  public boolean small() {
    return smallDuration != null;
  }

  /** Returns a key unique within a report: {@code scenario-variant}. */
  public String key() {
    return variant.isEmpty() ? scenario : scenario + "-" + variant;
  }

  /** Returns the settings shown in the report. */
  public Map<String, String> settings() {
    return Map.of(
        "echo", aggregatingEcho ? "aggregating" : "streaming",
        "processor", String.join(" ", processorArgs) + (capture ? " --capture-dir <route dir>/capture" : ""));
  }
}
