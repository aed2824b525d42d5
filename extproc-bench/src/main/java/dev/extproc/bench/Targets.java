package dev.extproc.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Judges a scenario run against the targets of issue 5. */
public final class Targets {

  /** The seed target: Envoy's peak RSS on /full-duplex-streamed at most this many times its baseline peak. */
  public static final double SEED_FDS_RSS_RATIO = 1.5;
  /** The processor heap target at concurrency 10: under 64 MiB. */
  public static final long PROCESSOR_HEAP_LIMIT_BYTES = 64L * 1024 * 1024;
  /** The passthrough throughput target: at least this fraction of the baseline's. */
  public static final double PASSTHROUGH_THROUGHPUT_RATIO = 0.5;

  private Targets() {}

  /** Returns the verdicts on every target that concerns this run. */
  public static List<TargetVerdict> evaluate(ScenarioReport run) {
    List<TargetVerdict> verdicts = new ArrayList<>();
    verdicts.add(allVerified(run));
    Optional<RouteReport> baseline = run.route(Route.BASELINE.name()).filter(RouteReport::ran);
    if (run.scenario().equals("seed")) {
      verdicts.add(seedFullDuplexRss(run, baseline));
    }
    if (run.concurrency() == 10 && !run.scenario().equals("small")) {
      verdicts.add(processorHeap(run));
    }
    if (run.scenario().equals("passthrough")) {
      for (Route route : List.of(Route.STREAMED, Route.FULL_DUPLEX_STREAMED)) {
        verdicts.add(passthroughThroughput(run, route, baseline));
      }
    }
    return verdicts;
  }

  private static TargetVerdict allVerified(ScenarioReport run) {
    String target = "every response verified";
    long requests = 0;
    long verified = 0;
    List<String> bad = new ArrayList<>();
    for (RouteReport r : run.routes()) {
      if (!r.ran()) {
        continue;
      }
      requests += r.requests();
      verified += r.verified();
      if (!r.allVerified()) {
        bad.add(r.route() + " " + r.verified() + "/" + r.requests());
      }
    }
    if (requests == 0) {
      return new TargetVerdict(target, null, "no route ran");
    }
    return new TargetVerdict(target, bad.isEmpty(),
        verified + "/" + requests + " verified" + (bad.isEmpty() ? "" : "; failed on " + String.join(", ", bad)));
  }

  private static TargetVerdict seedFullDuplexRss(ScenarioReport run, Optional<RouteReport> baseline) {
    String target = "Envoy peak RSS on /full-duplex-streamed <= " + SEED_FDS_RSS_RATIO + " x baseline";
    Optional<RouteReport> fds = run.route(Route.FULL_DUPLEX_STREAMED.name()).filter(RouteReport::ran);
    if (fds.isEmpty() || baseline.isEmpty()
        || fds.get().peakEnvoyRssBytes() == null || baseline.get().peakEnvoyRssBytes() == null) {
      return new TargetVerdict(target, null, "needs both /full-duplex-streamed and baseline with Envoy RSS measured");
    }
    double ratio = (double) fds.get().peakEnvoyRssBytes() / baseline.get().peakEnvoyRssBytes();
    boolean met = ratio <= SEED_FDS_RSS_RATIO;
    return new TargetVerdict(target, met, String.format("%s / %s = %.2f x (%s by %.2f x)",
        Format.mib(fds.get().peakEnvoyRssBytes()), Format.mib(baseline.get().peakEnvoyRssBytes()), ratio,
        met ? "met" : "missed", Math.abs(SEED_FDS_RSS_RATIO - ratio)));
  }

  private static TargetVerdict processorHeap(ScenarioReport run) {
    String target = "ext_proc server heap used < 64 MiB at concurrency 10";
    long peak = -1;
    String where = "";
    for (RouteReport r : run.routes()) {
      if (r.ran() && !r.route().equals(Route.BASELINE.name()) && r.peakProcessorHeapBytes() != null
          && r.peakProcessorHeapBytes() > peak) {
        peak = r.peakProcessorHeapBytes();
        where = r.route();
      }
    }
    if (peak < 0) {
      return new TargetVerdict(target, null, "processor heap not measured (external ext_proc server, or no ext_proc route ran)");
    }
    boolean met = peak < PROCESSOR_HEAP_LIMIT_BYTES;
    return new TargetVerdict(target, met, String.format("peak %s on %s (%s by %s)", Format.mib(peak), where,
        met ? "met" : "missed", Format.mib(Math.abs(PROCESSOR_HEAP_LIMIT_BYTES - peak))));
  }

  private static TargetVerdict passthroughThroughput(ScenarioReport run, Route route, Optional<RouteReport> baseline) {
    String target = "throughput on " + route.name() + " >= " + PASSTHROUGH_THROUGHPUT_RATIO + " x baseline";
    Optional<RouteReport> r = run.route(route.name()).filter(RouteReport::ran);
    if (r.isEmpty() || baseline.isEmpty() || r.get().throughputMibS() == null || baseline.get().throughputMibS() == null
        || baseline.get().throughputMibS() <= 0) {
      return new TargetVerdict(target, null, "needs both " + route.name() + " and baseline");
    }
    double ratio = r.get().throughputMibS() / baseline.get().throughputMibS();
    boolean met = ratio >= PASSTHROUGH_THROUGHPUT_RATIO;
    return new TargetVerdict(target, met, String.format("%.1f / %.1f MiB/s = %.2f x (%s by %.2f x)",
        r.get().throughputMibS(), baseline.get().throughputMibS(), ratio, met ? "met" : "missed",
        Math.abs(ratio - PASSTHROUGH_THROUGHPUT_RATIO)));
  }
}
