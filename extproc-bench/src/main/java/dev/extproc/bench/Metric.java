package dev.extproc.bench;

/** A gauge the benchmark samples while it runs; {@link #csvName()} names it in the time-series CSV. */
public enum Metric {
  /** Envoy's resident set size ({@code VmRSS} of its pid). */
  ENVOY_RSS("envoy_rss_bytes", "Envoy RSS"),
  /** Envoy's peak resident set size since it started ({@code VmHWM}). */
  ENVOY_PEAK_RSS("envoy_hwm_bytes", "Envoy peak RSS"),
  /** Bytes the application holds in Envoy's allocator (admin {@code /memory} {@code allocated}, gauge {@code server.memory_allocated}). */
  ENVOY_ALLOCATED("envoy_memory_allocated_bytes", "Envoy allocated"),
  /** Envoy's allocator heap (admin {@code /memory} {@code heap_size}, gauge {@code server.memory_heap_size}). */
  ENVOY_HEAP_SIZE("envoy_memory_heap_size_bytes", "Envoy heap size"),
  /** The ext_proc server's resident set size. */
  PROCESSOR_RSS("processor_rss_bytes", "processor RSS"),
  /** The ext_proc server's peak resident set size since it started. */
  PROCESSOR_PEAK_RSS("processor_hwm_bytes", "processor peak RSS"),
  /** The ext_proc server's JVM heap in use, garbage included (its admin {@code /stats} {@code heap_used_bytes}). */
  PROCESSOR_HEAP_USED("processor_heap_used_bytes", "processor heap used"),
  /**
   * The ext_proc server's JVM heap in use right after its last garbage collection: the live set,
   * without the garbage of the saw-tooth (its admin {@code /stats} {@code heap_live_after_gc_bytes}).
   */
  PROCESSOR_HEAP_LIVE("processor_heap_live_bytes", "processor heap live after GC"),
  /** Body bytes the ext_proc server holds right now (its admin {@code /stats} {@code bytes_held}). */
  PROCESSOR_BYTES_HELD("processor_bytes_held", "processor bytes held"),
  /** The echo backend's resident set size. */
  ECHO_RSS("echo_rss_bytes", "echo RSS"),
  /** The echo backend's peak resident set size since it started. */
  ECHO_PEAK_RSS("echo_hwm_bytes", "echo peak RSS");

  private final String csvName;
  private final String label;

  Metric(String csvName, String label) {
    this.csvName = csvName;
    this.label = label;
  }

  /** Returns the column/metric name used in the CSV time series. */
  public String csvName() {
    return csvName;
  }

  /** Returns a short human label for charts. */
  public String label() {
    return label;
  }
}
