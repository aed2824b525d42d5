package dev.extproc;

/** The two halves of one HTTP exchange, each processed independently by Envoy and by the engine. */
public enum Direction {
  /** Client to upstream: request headers, body and trailers. */
  REQUEST,
  /** Upstream to client: response headers, body and trailers. */
  RESPONSE;

  /** Returns the lower-case name used in logs, metrics and file names ({@code request}, {@code response}). */
  public String label() {
    return this == REQUEST ? "request" : "response";
  }
}
