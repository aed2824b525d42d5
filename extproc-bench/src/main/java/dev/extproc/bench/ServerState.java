package dev.extproc.bench;

/**
 * The state of the ext_proc server (and Envoy) when a route's measured batch starts: what the warm-up
 * before the meters did. Either way the warm-up is not counted.
 */
public enum ServerState {
  /**
   * A fresh server: one short warm-up (a 1 MiB prefix of the body, the whole body where the processors
   * replace it, or 1 s of small requests on one connection) pays for class loading, so the batch still
   * shows most of the JIT compilation and the heap's growth. The default.
   */
  FRESH,
  /**
   * A warmed server in steady state ({@code extproc bench --warm}): the warm-up is a whole batch of the
   * same load (the same uploads at the same concurrency, or the same small-request loop), so the batch
   * measures the code the JIT has compiled and a heap already sized.
   */
  WARM;

  /** Returns the name in the report: {@code fresh} or {@code warm}. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
