package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * A whole {@code extproc bench} invocation: {@code report.json}.
 *
 * @param startedAt ISO-8601 UTC
 * @param finishedAt ISO-8601 UTC
 * @param command the command line, for reproducing it
 * @param machine cores, memory, Envoy and JDK versions
 * @param definitions how the figures are defined (throughput, peaks)
 * @param scenarios one entry per scenario run
 */
public record BenchReport(
    @JsonProperty("started_at") String startedAt,
    @JsonProperty("finished_at") String finishedAt,
    @JsonProperty("command") String command,
    @JsonProperty("machine") Map<String, String> machine,
    @JsonProperty("definitions") Map<String, String> definitions,
    @JsonProperty("scenarios") List<ScenarioReport> scenarios) {

  /** The definitions written into every report. */
  public static final Map<String, String> DEFINITIONS = Map.ofEntries(
      Map.entry("throughput_mib_s", "request body bytes sent plus response body bytes received by all concurrent "
          + "uploads, divided by the wall time from the first connect to the last response byte, in MiB/s (2^20 bytes)"),
      Map.entry("upload_mib_s", "request body bytes only, over the same wall time"),
      Map.entry("p50_ms/p99_ms", "per-request duration from connect to the last response byte (HdrHistogram, 3 digits); "
          + "for small: per request on a keep-alive connection"),
      Map.entry("peak_envoy_rss_bytes", "a fresh Envoy is started for every route, so this is its VmHWM at the end of "
          + "the route (max with the RSS sampled every 100 ms from /proc/<pid>/status)"),
      Map.entry("peak_processor_heap_bytes", "max of the ext_proc server's heap_used_bytes (admin /stats, sampled every "
          + "100 ms); JVM heap in use including garbage not yet collected"),
      Map.entry("peak_processor_live_heap_bytes", "max heap used after a GC, from the server's JFR (jdk.GCHeapSummary); "
          + "JFR is recorded only with --profile"),
      Map.entry("processor_cpu_s/envoy_cpu_s", "CPU seconds (user + system, all threads; /proc/<pid>/stat) of the "
          + "ext_proc server and of Envoy during the measured batch, warm-up excluded"),
      Map.entry("processor_cpu_ms_per_mib", "processor_cpu_s in milliseconds per MiB (2^20 bytes) of request body sent"),
      Map.entry("processor_cpu_ms_per_request", "small only: processor_cpu_s in milliseconds per completed request"),
      Map.entry("processor_gc_collections/processor_full_gcs", "the ext_proc server's garbage collections during the "
          + "batch (admin /stats gc_collections), and of those the full, stop-the-world whole-heap ones "
          + "(gc_full_collections)"),
      Map.entry("verified", "HTTP 200 and the response body's length and SHA-256 equal to the expected body"));

  /** Validates and copies. */
  public BenchReport {
    requireNonNull(startedAt, "startedAt");
    requireNonNull(finishedAt, "finishedAt");
    requireNonNull(command, "command");
    machine = Map.copyOf(machine);
    definitions = Map.copyOf(definitions);
    scenarios = List.copyOf(scenarios);
  }

  /** Returns whether every route that ran verified every response. */
  public boolean allVerified() {
    return scenarios.stream().flatMap(s -> s.routes().stream()).filter(RouteReport::ran).allMatch(RouteReport::allVerified);
  }
}
