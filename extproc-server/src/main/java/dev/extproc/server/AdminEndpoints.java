package dev.extproc.server;

/**
 * What the admin HTTP server serves. Called on the admin server's event-loop thread, once per
 * request; implementations must be quick and must not block.
 */
public interface AdminEndpoints {
  /** Returns whether the server is draining: {@code /healthz} then answers 503. */
  boolean draining();

  /** Returns the body of {@code GET /stats}: a flat JSON object of numbers. */
  String statsJson();

  /** Returns the body of {@code GET /metrics}: the Prometheus text exposition (format 0.0.4). */
  String metricsText();
}
