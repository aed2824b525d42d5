package dev.extproc.bench;

import java.util.ArrayList;
import java.util.List;

/** The cells of a scenario run's route table and the notes on reading a report, shared by report.md and report.html. */
final class ReportTables {

  /** How to read the figures and charts; each entry one short paragraph. */
  static final List<String> READING_NOTES = List.of(
      "Envoy RSS is the resident memory of the Envoy process (a fresh Envoy per route). Envoy allocated is what "
          + "Envoy's own code holds from its allocator (tcmalloc) at that moment (admin /memory \"allocated\"): "
          + "buffers, connections, configuration. RSS is larger: it adds the allocator's caches and freed pages not "
          + "yet returned to the system, so RSS falls later and less than allocated.",
      "The ext_proc server's heap is drawn twice per route: live after GC (solid) is what the server still held "
          + "right after its last garbage collection, the figure that bounded memory is about; used, garbage "
          + "included (dotted) rises with every chunk until the next collection, hence its saw-tooth.",
      "A dashed black line is the target or limit the chart is read against (named in its legend); every y axis "
          + "starts at zero.",
      "CPU is process CPU time (user + system, /proc/<pid>/stat) over the measured batch only, warm-up excluded; "
          + "on a shared machine it is steadier than throughput. processor CPU ms/MiB is per MiB of request body. "
          + "Settings say whether the server was fresh (one short warm-up: start-up and JIT in the batch) or warm "
          + "(extproc bench --warm: a whole batch of the same load first). GCs are the server's collections during "
          + "the batch, full GCs in brackets.",
      "Before measuring, each route gets warm-up requests (not counted). Envoy is fresh per route, but in "
          + "extproc demo the ext_proc server's counters include the warm-ups: its streams_started is the checks "
          + "plus one warm-up per route, while Envoy's counters are reset after the warm-ups.");

  private ReportTables() {}

  /** Returns the route table's header. */
  static List<String> header(ScenarioReport s) {
    return List.of("route", "peak Envoy RSS", "Envoy RSS / baseline", "peak Envoy allocated", "peak processor heap",
        "peak processor RSS", "peak echo RSS", isSmall(s) ? "requests/s" : "throughput MiB/s", "/ baseline",
        "p50 ms", "p99 ms", "processor CPU s", "Envoy CPU s", isSmall(s) ? "processor CPU ms/request" : "processor CPU ms/MiB",
        "processor GCs (full)", "verified");
  }

  /** Returns one row per route that ran; a skipped route is {@code [route, "skipped: reason"]}. */
  static List<List<String>> rows(ScenarioReport s) {
    boolean small = isSmall(s);
    Long baseRss = s.route(Route.BASELINE.name()).filter(RouteReport::ran).map(RouteReport::peakEnvoyRssBytes).orElse(null);
    Double baseTp = s.route(Route.BASELINE.name()).filter(RouteReport::ran)
        .map(r -> small ? r.requestsPerS() : r.throughputMibS()).orElse(null);
    List<List<String>> rows = new ArrayList<>();
    for (RouteReport r : s.routes()) {
      if (!r.ran()) {
        rows.add(List.of(r.route(), "skipped: " + r.skipped()));
        continue;
      }
      Double tp = small ? r.requestsPerS() : r.throughputMibS();
      rows.add(List.of(r.route(),
          Format.mib(r.peakEnvoyRssBytes()),
          Format.ratio(ratio(r.peakEnvoyRssBytes(), baseRss)),
          Format.mib(r.peakEnvoyAllocatedBytes()),
          Format.mib(r.peakProcessorHeapBytes()),
          Format.mib(r.peakProcessorRssBytes()),
          Format.mib(r.peakEchoRssBytes()),
          Format.one(tp),
          Format.ratio(tp == null || baseTp == null || baseTp == 0 ? null : tp / baseTp),
          Format.one(r.p50Ms()),
          Format.one(r.p99Ms()),
          Format.two(r.cost().processorCpuS()),
          Format.two(r.cost().envoyCpuS()),
          Format.two(small ? r.cost().processorCpuMsPerRequest() : r.cost().processorCpuMsPerMib()),
          r.cost().processorGcCollections() == null ? "n/a"
              : r.cost().processorGcCollections() + " (" + r.cost().processorFullGcs() + ")",
          (r.allVerified() ? "yes" : "NO") + " (" + r.verified() + "/" + r.requests() + ")"));
    }
    return rows;
  }

  private static boolean isSmall(ScenarioReport s) {
    return s.scenario().equals("small");
  }

  private static Double ratio(Long value, Long base) {
    return value == null || base == null || base == 0 ? null : (double) value / base;
  }
}
