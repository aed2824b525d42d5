package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.util.List;

/**
 * The figures of one route in one scenario run: the row of the report's table and of {@code report.json}.
 * Memory peaks are null ("n/a") when the process was not measured, such as the processor of a server the
 * benchmark did not start. The JSON names of the first fields are binding (scripts read them).
 *
 * @param route the route name ({@code /streamed}, ..., {@code baseline})
 * @param concurrency concurrent uploads (or connections for {@code small})
 * @param bodyBytes the request body size
 * @param requests requests sent
 * @param verified responses verified (status 200 and the expected SHA-256)
 * @param failed requests that failed
 * @param throughputMibS request plus response body MiB per second of wall time (uploads only)
 * @param p50Ms median request duration
 * @param p99Ms 99th percentile request duration
 * @param peakEnvoyRssBytes Envoy's peak RSS (VmHWM of a fresh Envoy per route, and the sampled maximum)
 * @param peakProcessorRssBytes the ext_proc server's peak RSS
 * @param peakProcessorHeapBytes the ext_proc server's peak sampled JVM heap used, garbage included
 * @param peakEchoRssBytes the echo backend's peak RSS
 * @param requestsPerS verified requests per second (the {@code small} scenario only)
 * @param skipped why the route was not run, or null when it ran
 * @param uploadMibS request body MiB per second of wall time
 * @param ttfbP50Ms median time to the first response byte
 * @param wallMs wall time of the batch
 * @param bytesSent request body bytes sent
 * @param bytesReceived response body bytes received
 * @param peakEnvoyAllocatedBytes the peak of Envoy's {@code server.memory_allocated} (admin /memory)
 * @param peakEnvoyHeapSizeBytes the peak of Envoy's {@code server.memory_heap_size}
 * @param peakProcessorLiveHeapBytes the ext_proc server's peak heap after a GC (from its JFR), when recorded
 * @param samples how many meter samples were taken
 * @param errors distinct failure messages (at most a few) and meter problems
 * @param artifacts files of this route in the run directory (profiles, stats), relative to it
 * @param cost CPU and GC figures of the batch ({@link RouteCost}; its fields are written into the row itself)
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record RouteReport(
    @JsonProperty("route") String route,
    @JsonProperty("concurrency") int concurrency,
    @JsonProperty("body_bytes") long bodyBytes,
    @JsonProperty("requests") long requests,
    @JsonProperty("verified") long verified,
    @JsonProperty("failed") long failed,
    @JsonProperty("throughput_mib_s") Double throughputMibS,
    @JsonProperty("p50_ms") Double p50Ms,
    @JsonProperty("p99_ms") Double p99Ms,
    @JsonProperty("peak_envoy_rss_bytes") Long peakEnvoyRssBytes,
    @JsonProperty("peak_processor_rss_bytes") Long peakProcessorRssBytes,
    @JsonProperty("peak_processor_heap_bytes") Long peakProcessorHeapBytes,
    @JsonProperty("peak_echo_rss_bytes") Long peakEchoRssBytes,
    @JsonProperty("requests_per_s") Double requestsPerS,
    @JsonProperty("skipped") String skipped,
    @JsonProperty("upload_mib_s") Double uploadMibS,
    @JsonProperty("ttfb_p50_ms") Double ttfbP50Ms,
    @JsonProperty("wall_ms") Double wallMs,
    @JsonProperty("bytes_sent") long bytesSent,
    @JsonProperty("bytes_received") long bytesReceived,
    @JsonProperty("peak_envoy_allocated_bytes") Long peakEnvoyAllocatedBytes,
    @JsonProperty("peak_envoy_heap_size_bytes") Long peakEnvoyHeapSizeBytes,
    @JsonProperty("peak_processor_live_heap_bytes") Long peakProcessorLiveHeapBytes,
    @JsonProperty("samples") long samples,
    @JsonProperty("errors") List<String> errors,
    @JsonProperty("artifacts") List<String> artifacts,
    @JsonUnwrapped RouteCost cost) {

  /** Validates and copies. */
  public RouteReport {
    requireNonNull(route, "route");
    errors = List.copyOf(errors);
    artifacts = List.copyOf(artifacts);
    requireNonNull(cost, "cost");
  }

  /** A report without CPU figures ({@link RouteCost#NONE}); {@link #withCost} adds them. */
  public RouteReport(String route, int concurrency, long bodyBytes, long requests, long verified, long failed,
      Double throughputMibS, Double p50Ms, Double p99Ms, Long peakEnvoyRssBytes, Long peakProcessorRssBytes,
      Long peakProcessorHeapBytes, Long peakEchoRssBytes, Double requestsPerS, String skipped, Double uploadMibS,
      Double ttfbP50Ms, Double wallMs, long bytesSent, long bytesReceived, Long peakEnvoyAllocatedBytes,
      Long peakEnvoyHeapSizeBytes, Long peakProcessorLiveHeapBytes, long samples, List<String> errors,
      List<String> artifacts) {
    this(route, concurrency, bodyBytes, requests, verified, failed, throughputMibS, p50Ms, p99Ms, peakEnvoyRssBytes,
        peakProcessorRssBytes, peakProcessorHeapBytes, peakEchoRssBytes, requestsPerS, skipped, uploadMibS, ttfbP50Ms,
        wallMs, bytesSent, bytesReceived, peakEnvoyAllocatedBytes, peakEnvoyHeapSizeBytes, peakProcessorLiveHeapBytes,
        samples, errors, artifacts, RouteCost.NONE);
  }

  /** Returns the same report with these CPU and GC figures. */
  public RouteReport withCost(RouteCost cost) {
    return new RouteReport(route, concurrency, bodyBytes, requests, verified, failed, throughputMibS, p50Ms, p99Ms,
        peakEnvoyRssBytes, peakProcessorRssBytes, peakProcessorHeapBytes, peakEchoRssBytes, requestsPerS, skipped,
        uploadMibS, ttfbP50Ms, wallMs, bytesSent, bytesReceived, peakEnvoyAllocatedBytes, peakEnvoyHeapSizeBytes,
        peakProcessorLiveHeapBytes, samples, errors, artifacts, cost);
  }

  /** A route that was not run, with the reason. */
  public static RouteReport skipped(String route, int concurrency, long bodyBytes, String reason) {
    return new RouteReport(route, concurrency, bodyBytes, 0, 0, 0, null, null, null, null, null, null, null, null,
        requireNonNull(reason, "reason"), null, null, null, 0, 0, null, null, null, 0, List.of(), List.of());
  }

  /** Returns whether the route ran. */
  public boolean ran() {
    return skipped == null;
  }

  /** Returns whether it ran and every request was verified. */
  public boolean allVerified() {
    return ran() && failed == 0 && verified == requests && requests > 0;
  }
}
