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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Meters the CPU and the garbage collections of a route's measured batch: reads the processes' CPU
 * time and the ext_proc server's GC counters when the batch starts ({@link #start}) and when it ends
 * ({@link #stop}), and keeps the differences. Used from the benchmark's thread only.
 */
final class CostMeter {

  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(2);

  private final OptionalLong processorPid;
  private final OptionalLong envoyPid;
  private final Optional<URI> processorStats;
  private final HttpClient client;
  private final List<String> problems = new ArrayList<>();
  private final OptionalLong processorCpuAtStart;
  private final OptionalLong envoyCpuAtStart;
  private final GcCounts gcAtStart;

  /** The server's GC counters, or null fields when unread. */
  private record GcCounts(Long collections, Long full) {}

  private CostMeter(BenchEnvironment.Target target, HttpClient client) {
    this.processorPid = target.processorPid();
    this.envoyPid = target.envoyPid();
    this.processorStats = target.processorAdmin().map(admin -> admin.resolve("/stats"));
    this.client = requireNonNull(client, "client");
    this.processorCpuAtStart = cpuNanos(processorPid);
    this.envoyCpuAtStart = cpuNanos(envoyPid);
    this.gcAtStart = gcCounts();
  }

  /** Reads the starting values now. */
  static CostMeter start(BenchEnvironment.Target target, HttpClient client) {
    return new CostMeter(target, client);
  }

  /**
   * Reads the values at the end and returns the batch's cost.
   *
   * @param requestBodyBytes the request body bytes the batch sent
   * @param requests the requests completed, or -1 to leave CPU per request out
   */
  RouteCost stop(long requestBodyBytes, long requests) {
    Double processorCpu = seconds(processorCpuAtStart, cpuNanos(processorPid), "ext_proc server", processorPid);
    Double envoyCpu = seconds(envoyCpuAtStart, cpuNanos(envoyPid), "Envoy", envoyPid);
    GcCounts end = gcCounts();
    return RouteCost.of(processorCpu, envoyCpu, requestBodyBytes, requests,
        difference(gcAtStart.collections(), end.collections()), difference(gcAtStart.full(), end.full()));
  }

  /** Returns what went wrong while metering (a process gone, an admin endpoint without GC counters). */
  List<String> problems() {
    return List.copyOf(problems);
  }

  /**
   * Returns a process's CPU time, user + system, all threads: {@link ProcessHandle.Info#totalCpuDuration()},
   * which on Linux reads {@code utime + stime} from {@code /proc/<pid>/stat} in the kernel's clock ticks.
   */
  static OptionalLong cpuNanos(OptionalLong pid) {
    if (pid.isEmpty()) {
      return OptionalLong.empty();
    }
    return ProcessHandle.of(pid.getAsLong()).flatMap(h -> h.info().totalCpuDuration())
        .map(d -> OptionalLong.of(d.toNanos())).orElse(OptionalLong.empty());
  }

  private Double seconds(OptionalLong start, OptionalLong end, String name, OptionalLong pid) {
    if (pid.isEmpty()) {
      return null;
    }
    if (start.isEmpty() || end.isEmpty()) {
      problems.add(name + " CPU time: /proc/" + pid.getAsLong() + "/stat could not be read at the batch's "
          + (start.isEmpty() ? "start" : "end"));
      return null;
    }
    return (end.getAsLong() - start.getAsLong()) / 1e9;
  }

  private static Long difference(Long start, Long end) {
    return start == null || end == null ? null : end - start;
  }

  private GcCounts gcCounts() {
    if (processorStats.isEmpty()) {
      return new GcCounts(null, null);
    }
    URI uri = processorStats.get();
    try {
      HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).timeout(ADMIN_TIMEOUT).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IOException("HTTP " + response.statusCode() + " (expected: 200)");
      }
      JsonNode json = new ObjectMapper().readTree(response.body());
      if (!json.has("gc_collections") || !json.has("gc_full_collections")) {
        problems.add(uri + ": no gc_collections/gc_full_collections (a server without GC counters)");
        return new GcCounts(null, null);
      }
      return new GcCounts(MeterSources.number(json, "gc_collections", uri), MeterSources.number(json, "gc_full_collections", uri));
    } catch (IOException e) {
      problems.add(uri + ": " + e.getMessage());
      return new GcCounts(null, null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      problems.add(uri + ": interrupted");
      return new GcCounts(null, null);
    }
  }
}
