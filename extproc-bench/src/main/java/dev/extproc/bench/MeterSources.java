package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/** Factories for the {@link MeterSource}s the benchmark uses. */
public final class MeterSources {

  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(2);

  private MeterSources() {}

  /**
   * Reads {@code VmRSS} and {@code VmHWM} of a process from {@code /proc/<pid>/status}.
   *
   * @param rss the metric for the current RSS
   * @param peakRss the metric for the peak RSS since the process started
   */
  public static MeterSource process(String label, long pid, Metric rss, Metric peakRss) {
    requireNonNull(label, "label");
    requireNonNull(rss, "rss");
    requireNonNull(peakRss, "peakRss");
    if (pid <= 0) {
      throw new IllegalArgumentException("pid: " + pid + " (expected: > 0)");
    }
    String name = label + " /proc/" + pid + "/status";
    return new MeterSource() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Map<Metric, Long> read() throws IOException {
        Optional<ProcStatus> status = ProcStatus.read(pid);
        if (status.isEmpty()) {
          return Map.of();
        }
        return Map.of(rss, status.get().rssBytes(), peakRss, status.get().peakRssBytes());
      }
    };
  }

  /**
   * Reads Envoy's admin {@code GET /memory}: {@code allocated} and {@code heap_size}, the values behind
   * the gauges {@code server.memory_allocated} and {@code server.memory_heap_size} (the gauges themselves
   * are refreshed only at each stats flush, every 5 s by default; {@code /memory} is read live).
   */
  public static MeterSource envoyMemory(HttpClient client, URI envoyAdmin) {
    URI uri = envoyAdmin.resolve("/memory");
    return jsonSource("envoy " + uri, client, uri, json -> {
      Map<Metric, Long> values = new EnumMap<>(Metric.class);
      values.put(Metric.ENVOY_ALLOCATED, number(json, "allocated", uri));
      values.put(Metric.ENVOY_HEAP_SIZE, number(json, "heap_size", uri));
      return values;
    });
  }

  /**
   * Reads the ext_proc server's admin {@code GET /stats}: {@code heap_used_bytes}, and {@code
   * heap_live_after_gc_bytes} and {@code bytes_held} when the server has them.
   */
  public static MeterSource extProcStats(HttpClient client, URI extProcAdmin) {
    URI uri = extProcAdmin.resolve("/stats");
    return jsonSource("ext_proc " + uri, client, uri, json -> {
      Map<Metric, Long> values = new EnumMap<>(Metric.class);
      values.put(Metric.PROCESSOR_HEAP_USED, number(json, "heap_used_bytes", uri));
      if (json.has("heap_live_after_gc_bytes")) {
        values.put(Metric.PROCESSOR_HEAP_LIVE, number(json, "heap_live_after_gc_bytes", uri));
      }
      if (json.has("bytes_held")) {
        values.put(Metric.PROCESSOR_BYTES_HELD, number(json, "bytes_held", uri));
      }
      return values;
    });
  }

  private interface JsonReader {
    Map<Metric, Long> values(JsonNode json) throws IOException;
  }

  private static MeterSource jsonSource(String name, HttpClient client, URI uri, JsonReader reader) {
    requireNonNull(client, "client");
    ObjectMapper mapper = new ObjectMapper();
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(ADMIN_TIMEOUT).GET().build();
    return new MeterSource() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Map<Metric, Long> read() throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
          throw new IOException(uri + ": HTTP " + response.statusCode() + " (expected: 200)");
        }
        return reader.values(mapper.readTree(response.body()));
      }
    };
  }

  /** Reads a number that Envoy may write as a JSON string ({@code "allocated": "5862472"}). */
  static long number(JsonNode json, String field, URI source) throws IOException {
    JsonNode node = json.get(field);
    if (node == null || node.isNull()) {
      throw new IOException(source + ": no field '" + field + "' in " + abbreviate(json.toString()));
    }
    if (node.isNumber()) {
      return node.asLong();
    }
    try {
      return Long.parseLong(node.asText().trim());
    } catch (NumberFormatException e) {
      throw new IOException(source + ": field '" + field + "' is '" + node.asText() + "' (expected: a number)", e);
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }
}
