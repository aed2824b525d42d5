package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Takes files from Envoy's admin endpoints around a route's run: always a filtered stats snapshot (flow
 * control, HTTP/2 side stream, ext_proc, memory) and {@code /memory}; with profiling, the heap profiles a
 * release build (Google tcmalloc) supports: {@code /allocprofiler} (allocations during the run),
 * {@code /peak_heap_dump} (the sampled heap at its peak, 1.39+), {@code /heap_dump} (now) and
 * {@code /memory/tcmalloc}. (The seed's {@code /heapprofiler} needs a gperftools build; release builds
 * answer 501.) The profiles are pprof protobufs of a stripped binary: names come from {@code pprof} with
 * Envoy's debug symbols.
 */
public final class EnvoyAdminSnapshots {

  /** The stats kept in {@code envoy-stats.txt}. */
  static final Pattern KEPT_STATS = Pattern.compile(
      "ext_proc|flow_control|http2\\.|buffer|server\\.memory|cx_tx_bytes_buffered|rq_total|upstream_rq_2xx|downstream_rq_[2-5]xx|overflow|watermark");

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final HttpClient client;
  private final URI admin;

  /** Creates snapshots of the Envoy whose admin listens at {@code admin}. */
  public EnvoyAdminSnapshots(HttpClient client, URI admin) {
    this.client = requireNonNull(client, "client");
    this.admin = requireNonNull(admin, "admin");
  }

  /** Starts tcmalloc's allocation profiler; returns a problem, or null when it started. */
  public String startAllocationProfiler() {
    try {
      HttpResponse<String> response = client.send(
          HttpRequest.newBuilder(admin.resolve("/allocprofiler?enable=y")).timeout(TIMEOUT)
              .POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? null
          : "POST /allocprofiler?enable=y: HTTP " + response.statusCode() + " " + response.body().trim();
    } catch (IOException e) {
      return "POST /allocprofiler?enable=y: " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /**
   * Saves the end-of-route files into {@code dir}: stats and memory always, the heap profiles when
   * {@code profile}.
   *
   * @param prefix prepended to the file names
   * @param artifacts receives the saved files' names
   * @param problems receives what could not be saved
   */
  public void save(Path dir, String prefix, boolean profile, List<Path> artifacts, Collection<String> problems) {
    saveStats(dir.resolve(prefix + "envoy-stats.txt"), artifacts, problems);
    fetch("GET", "/memory", dir.resolve(prefix + "envoy-memory.json"), artifacts, problems);
    if (profile) {
      fetch("POST", "/allocprofiler?enable=n", dir.resolve(prefix + "envoy-alloc-profile.pb.gz"), artifacts, problems);
      fetch("GET", "/peak_heap_dump", dir.resolve(prefix + "envoy-peak-heap.pb.gz"), artifacts, problems);
      fetch("GET", "/heap_dump", dir.resolve(prefix + "envoy-heap.pb.gz"), artifacts, problems);
      fetch("GET", "/memory/tcmalloc", dir.resolve(prefix + "envoy-tcmalloc.txt"), artifacts, problems);
    }
  }

  private void saveStats(Path file, List<Path> artifacts, Collection<String> problems) {
    try {
      HttpResponse<String> response = client.send(
          HttpRequest.newBuilder(admin.resolve("/stats")).timeout(TIMEOUT).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        problems.add("GET /stats: HTTP " + response.statusCode());
        return;
      }
      List<String> kept = new ArrayList<>();
      for (String line : response.body().split("\n")) {
        if (KEPT_STATS.matcher(line).find()) {
          kept.add(line);
        }
      }
      Files.write(file, kept, StandardCharsets.UTF_8);
      artifacts.add(file);
    } catch (IOException e) {
      problems.add("GET /stats: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void fetch(String method, String path, Path file, List<Path> artifacts, Collection<String> problems) {
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(admin.resolve(path)).timeout(TIMEOUT);
      request = method.equals("POST") ? request.POST(HttpRequest.BodyPublishers.noBody()) : request.GET();
      HttpResponse<Path> response = client.send(request.build(), HttpResponse.BodyHandlers.ofFile(file));
      if (response.statusCode() != 200) {
        String body = Files.readString(file, StandardCharsets.UTF_8).trim();
        Files.deleteIfExists(file);
        problems.add(method + " " + path + ": HTTP " + response.statusCode() + " " + body);
        return;
      }
      artifacts.add(file);
    } catch (IOException e) {
      problems.add(method + " " + path + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Reads one counter or gauge from a saved {@code envoy-stats.txt} ({@code name: value} lines), or -1. */
  public static long stat(Path statsFile, String name) throws IOException {
    for (String line : Files.readAllLines(statsFile, StandardCharsets.UTF_8)) {
      int colon = line.indexOf(": ");
      if (colon > 0 && line.substring(0, colon).equals(name)) {
        try {
          return Long.parseLong(line.substring(colon + 2).trim());
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }
}
