package dev.extproc.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Client of the ext_proc server's admin HTTP port (docs/interfaces.md): {@code /healthz}, {@code /stats}
 * (flat JSON of numbers) and {@code /metrics}.
 */
public final class ExtProcAdmin {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final AdminHttp http;

  /** A client for the admin port at {@code base} (e.g. {@code http://127.0.0.1:9002}). */
  public ExtProcAdmin(URI base) {
    this.http = new AdminHttp(Objects.requireNonNull(base, "base"), Duration.ofSeconds(10));
  }

  /** The admin port's base URI. */
  public URI uri() {
    return http.base();
  }

  /** True when {@code GET /healthz} answers 200; false on any error (including while draining). */
  public boolean isHealthy() {
    try {
      return http.get("/healthz").statusCode() == 200;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** {@code GET /stats} as a map, e.g. {@code active_streams}, {@code streams_failed}, {@code bytes_held}. */
  public Map<String, Long> stats() {
    String body = http.getOk("/stats");
    try {
      JsonNode node = JSON.readTree(body);
      Map<String, Long> stats = new TreeMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (field.getValue().isNumber()) {
          stats.put(field.getKey(), field.getValue().asLong());
        }
      }
      return stats;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new UncheckedIOException("invalid JSON from ext_proc admin /stats: " + AdminHttp.abbreviate(body), e);
    }
  }

  /** One stat, 0 if absent. */
  public long stat(String name) {
    return stats().getOrDefault(name, 0L);
  }

  /** {@code GET /metrics}: Prometheus text. */
  public String metrics() {
    return http.getOk("/metrics");
  }
}
