package dev.extproc.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Client of Envoy's admin endpoint: stats, the ext_proc filter counters, memory, readiness and the
 * bound listener addresses.
 */
public final class EnvoyAdmin {

  /** Prefix of the ext_proc filter's counters on the {@code ext_proc} listener. */
  public static final String EXT_PROC_STATS_PREFIX = "http.ingress.ext_proc.";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final AdminHttp http;

  /** A client for the admin endpoint at {@code base} (e.g. {@code http://127.0.0.1:9901}). */
  public EnvoyAdmin(URI base) {
    this.http = new AdminHttp(Objects.requireNonNull(base, "base"), Duration.ofSeconds(10));
  }

  /** The admin endpoint's base URI. */
  public URI uri() {
    return http.base();
  }

  /** True when {@code GET /ready} answers 200 ({@code LIVE}); false on any error. */
  public boolean isReady() {
    try {
      return http.get("/ready").statusCode() == 200;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Every counter and gauge ({@code GET /stats}, histograms left out), sorted by name. */
  public Map<String, Long> stats() {
    return parseStats(http.getOk("/stats"));
  }

  /** The counters and gauges whose names match the regular expression {@code filter}. */
  public Map<String, Long> stats(String filter) {
    return parseStats(http.getOk("/stats?filter=" + java.net.URLEncoder.encode(filter, java.nio.charset.StandardCharsets.UTF_8)));
  }

  /** One counter or gauge, 0 if Envoy has not created it (yet). */
  public long stat(String name) {
    return stats("^" + java.util.regex.Pattern.quote(name) + "$").getOrDefault(name, 0L);
  }

  /** The ext_proc filter's counters on the {@code ext_proc} listener. */
  public ExtProcFilterStats extProcStats() {
    return ExtProcFilterStats.from(stats("^" + java.util.regex.Pattern.quote(EXT_PROC_STATS_PREFIX)),
        EXT_PROC_STATS_PREFIX);
  }

  /** {@code GET /memory}. */
  public EnvoyMemory memory() {
    JsonNode node = readJson(http.getOk("/memory"));
    return new EnvoyMemory(
        node.path("allocated").asLong(),
        node.path("heap_size").asLong(),
        node.path("pageheap_unmapped").asLong(),
        node.path("pageheap_free").asLong(),
        node.path("total_thread_cache").asLong(),
        node.path("total_physical_bytes").asLong());
  }

  /** The listeners' bound addresses by listener name ({@code GET /listeners?format=json}). */
  public Map<String, InetSocketAddress> listeners() {
    JsonNode node = readJson(http.getOk("/listeners?format=json"));
    Map<String, InetSocketAddress> listeners = new LinkedHashMap<>();
    for (JsonNode status : node.path("listener_statuses")) {
      JsonNode socket = status.path("local_address").path("socket_address");
      listeners.put(status.path("name").asText(),
          InetSocketAddress.createUnresolved(socket.path("address").asText(), socket.path("port_value").asInt()));
    }
    return listeners;
  }

  /** Resets all counters ({@code POST /reset_counters}). */
  public void resetCounters() {
    HttpResponse<String> response = http.post("/reset_counters");
    if (response.statusCode() != 200) {
      throw new IllegalStateException("POST /reset_counters: status " + response.statusCode() + " (expected: 200)");
    }
  }

  /** Any admin GET, returning the body of a 200 answer (e.g. {@code /clusters}, {@code /config_dump}). */
  public String get(String pathAndQuery) {
    return http.getOk(pathAndQuery);
  }

  /**
   * The hosts of {@code cluster} as {@code GET /clusters} lists them: host ({@code 127.0.0.1:9001}) to
   * its fields ({@code health_flags} such as {@code healthy}, {@code /failed_active_hc},
   * {@code /failed_outlier_check}; {@code rq_total}, {@code rq_active}, {@code cx_connect_fail} ...).
   */
  public Map<String, Map<String, String>> clusterHosts(String cluster) {
    return parseClusterHosts(get("/clusters"), cluster);
  }

  /** Parses {@code cluster::host::field::value} lines of the {@code /clusters} text for one cluster. */
  static Map<String, Map<String, String>> parseClusterHosts(String text, String cluster) {
    Map<String, Map<String, String>> hosts = new TreeMap<>();
    String prefix = cluster + "::";
    for (String line : text.split("\n")) {
      if (!line.startsWith(prefix)) {
        continue;
      }
      String[] parts = line.substring(prefix.length()).split("::", -1);
      if (parts.length == 3 && parts[0].contains(":")) {
        hosts.computeIfAbsent(parts[0], h -> new TreeMap<>()).put(parts[1], parts[2].strip());
      }
    }
    return hosts;
  }

  /** Parses Envoy's text stats ({@code name: value} lines); histogram lines are skipped. */
  static Map<String, Long> parseStats(String text) {
    Map<String, Long> stats = new TreeMap<>();
    for (String line : text.split("\n")) {
      int colon = line.lastIndexOf(": ");
      if (colon <= 0) {
        continue;
      }
      String value = line.substring(colon + 2).strip();
      if (value.isEmpty() || !value.chars().allMatch(c -> c == '-' || Character.isDigit(c))) {
        continue;
      }
      try {
        stats.put(line.substring(0, colon), Long.parseLong(value));
      } catch (NumberFormatException e) {
        // a value beyond long: not a counter or gauge we can use
      }
    }
    return stats;
  }

  private static JsonNode readJson(String body) {
    try {
      return JSON.readTree(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new UncheckedIOException("invalid JSON from Envoy admin: " + AdminHttp.abbreviate(body), e);
    }
  }
}
