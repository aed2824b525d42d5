package dev.extproc.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What a route's measured batch cost in CPU and garbage collections (issue 10): process CPU seconds
 * (user + system, {@code /proc/<pid>/stat}) of the ext_proc server and of Envoy over the batch only
 * (warm-up excluded), the server's CPU per unit of work, and its collections over the batch (its admin
 * {@code /stats}). A figure is null when it was not measured (an external server, a route without one).
 * In {@code report.json} these are fields of the route's row; the names are binding.
 *
 * @param processorCpuS the ext_proc server's CPU seconds during the batch
 * @param envoyCpuS Envoy's CPU seconds during the batch
 * @param processorCpuMsPerMib the server's CPU milliseconds per MiB (2^20 bytes) of request body sent
 * @param processorCpuMsPerRequest the server's CPU milliseconds per completed request ({@code small} only)
 * @param processorGcCollections the server's garbage collections during the batch
 * @param processorFullGcs of those, the stop-the-world collections of the whole heap (full GCs)
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record RouteCost(
    @JsonProperty("processor_cpu_s") Double processorCpuS,
    @JsonProperty("envoy_cpu_s") Double envoyCpuS,
    @JsonProperty("processor_cpu_ms_per_mib") Double processorCpuMsPerMib,
    @JsonProperty("processor_cpu_ms_per_request") Double processorCpuMsPerRequest,
    @JsonProperty("processor_gc_collections") Long processorGcCollections,
    @JsonProperty("processor_full_gcs") Long processorFullGcs) {

  /** Nothing measured. */
  public static final RouteCost NONE = new RouteCost(null, null, null, null, null, null);

  private static final double MIB = 1024.0 * 1024.0;

  /**
   * Returns the cost with the per-unit figures derived from the CPU seconds.
   *
   * @param requestBodyBytes the request body bytes the batch sent
   * @param requests the requests the batch completed, or -1 when CPU per request is not reported
   */
  public static RouteCost of(Double processorCpuS, Double envoyCpuS, long requestBodyBytes, long requests,
      Long gcCollections, Long fullGcs) {
    Double perMib = processorCpuS == null || requestBodyBytes <= 0 ? null : processorCpuS * 1000 / (requestBodyBytes / MIB);
    Double perRequest = processorCpuS == null || requests <= 0 ? null : processorCpuS * 1000 / requests;
    return new RouteCost(processorCpuS, envoyCpuS, perMib, perRequest, gcCollections, fullGcs);
  }
}
