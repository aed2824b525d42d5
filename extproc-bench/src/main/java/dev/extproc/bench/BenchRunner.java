package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs scenario plans route by route against a {@link BenchEnvironment}: starts the route's processes,
 * samples their memory for the whole run, drives the load, takes Envoy's admin snapshots (and profiles),
 * stops the processes and turns it all into a {@link ScenarioReport}.
 */
public final class BenchRunner {

  private static final Logger log = LoggerFactory.getLogger(BenchRunner.class);

  /** The meter period: 100 ms, as issue 5 asks. */
  public static final Duration SAMPLE_PERIOD = Duration.ofMillis(100);

  private final BenchEnvironment environment;
  private final EventLoopGroup group;
  private final HttpClient adminClient;
  private final ProgressDisplay progress;
  private final boolean profile;
  private final Duration samplePeriod;
  private final ServerState serverState;

  /**
   * Creates a runner.
   *
   * @param group the event loop group of the load clients; the caller owns it
   * @param adminClient the HTTP client of the meters and admin snapshots; the caller owns it
   * @param profile whether to take Envoy heap profiles and record JFR with allocation profiling
   */
  public BenchRunner(BenchEnvironment environment, EventLoopGroup group, HttpClient adminClient,
      ProgressDisplay progress, boolean profile, Duration samplePeriod) {
    this(environment, group, adminClient, progress, profile, samplePeriod, ServerState.FRESH);
  }

  /**
   * Creates a runner that measures the server in the given state.
   *
   * @param profile whether to take Envoy heap profiles and record JFR with allocation profiling (the
   *     ext_proc server records JFR only then: the recording itself costs CPU)
   * @param serverState a fresh server (short warm-up) or a warmed one (a warm-up batch of the same load)
   */
  public BenchRunner(BenchEnvironment environment, EventLoopGroup group, HttpClient adminClient,
      ProgressDisplay progress, boolean profile, Duration samplePeriod, ServerState serverState) {
    this.serverState = requireNonNull(serverState, "serverState");
    this.environment = requireNonNull(environment, "environment");
    this.group = requireNonNull(group, "group");
    this.adminClient = requireNonNull(adminClient, "adminClient");
    this.progress = requireNonNull(progress, "progress");
    this.profile = profile;
    this.samplePeriod = requireNonNull(samplePeriod, "samplePeriod");
  }

  /** Runs one plan, writing the routes' files under {@code runDir/<scenario-variant>/<route>/}. */
  public ScenarioReport run(ScenarioPlan plan, Path runDir) throws Exception {
    List<RouteReport> routes = new ArrayList<>();
    Map<String, MemoryRecording> recordings = new LinkedHashMap<>();
    for (Route route : plan.routes()) {
      String skip = skipReason(plan, route);
      if (skip != null) {
        routes.add(RouteReport.skipped(route.name(), plan.concurrency(), plan.bodyBytes(), skip));
        log.info("scenario={} route={} skipped: {}", plan.key(), route.name(), skip);
        continue;
      }
      Path routeDir = runDir.resolve(plan.key()).resolve(dirName(route));
      Files.createDirectories(routeDir);
      RouteOutcome outcome = runRoute(plan, route, routeDir, runDir);
      routes.add(outcome.report());
      recordings.put(route.name(), outcome.recording());
    }
    Map<String, String> settings = new LinkedHashMap<>(plan.settings());
    settings.putAll(environment.describe());
    settings.put("server_state", serverState.label());
    settings.put("ext_proc_jfr", profile ? "on (--profile)" : "off (--profile records it)");
    ScenarioReport report = new ScenarioReport(plan.scenario(), plan.variant(), plan.description(), plan.concurrency(),
        plan.bodyBytes(), settings, routes, List.of(), List.of(), recordings);
    return report.with(Targets.evaluate(report), List.of());
  }

  private String skipReason(ScenarioPlan plan, Route route) {
    if (!route.buffersWholeBody()) {
      return null;
    }
    OptionalLong limit = environment.bufferLimitBytes();
    long largest = plan.small() ? plan.bodyBytes() : plan.largestBodyBytes();
    if (limit.isPresent() && largest > limit.getAsLong()) {
      return "a " + largest + "-byte body does not fit the " + route.name() + " route's request body buffer limit of "
          + limit.getAsLong() + " bytes (Envoy route request_body_buffer_limit); BUFFERED would answer 413";
    }
    return null;
  }

  static String dirName(Route route) {
    String name = route.name().replaceAll("^/", "").replaceAll("[^A-Za-z0-9._-]", "_");
    return name.isEmpty() ? "root" : name;
  }

  private record RouteOutcome(RouteReport report, MemoryRecording recording) {}

  private RouteOutcome runRoute(ScenarioPlan plan, Route route, Path routeDir, Path runDir) throws Exception {
    List<String> args = new ArrayList<>(plan.processorArgs());
    Path captureDir = routeDir.resolve("capture");
    if (plan.capture()) {
      Files.createDirectories(captureDir);
      args.add("--capture-dir");
      args.add(captureDir.toAbsolutePath().toString());
    }
    StackSettings settings = new StackSettings(plan.aggregatingEcho(), args,
        route.usesExtProc() && profile ? routeDir.resolve("ext-proc.jfr") : null, "profile");
    List<Path> artifacts = new ArrayList<>();
    Set<String> problems = new LinkedHashSet<>();
    MemoryRecording recording;
    UploadRun uploads = null;
    SmallRequestLoop.Result small = null;
    RouteCost cost;
    long captureFiles = -1;
    String label = plan.key() + " " + route.name() + " c=" + plan.concurrency();
    progress.phase(label + " starting", null);
    BenchEnvironment.Target target = environment.start(settings, route, routeDir);
    try {
      EnvoyAdminSnapshots snapshots = target.envoyAdmin().map(a -> new EnvoyAdminSnapshots(adminClient, a)).orElse(null);
      if (profile && snapshots != null) {
        String problem = snapshots.startAllocationProfiler();
        if (problem != null) {
          problems.add(problem);
        }
      }
      URI uri = target.baseUri(route).resolve(route.path());
      progress.phase(label + " warming up", null);
      if (serverState == ServerState.WARM) {
        warmUpWithTheSameLoad(plan, route, uri);
      } else {
        warmUp(plan, route, uri, problems);
      }
      try (MemoryMeter meter = MemoryMeter.start(target.meterSources(), samplePeriod)) {
        CostMeter costMeter = CostMeter.start(target, adminClient);
        if (plan.small()) {
          progress.phase(label, null);
          small = new SmallRequestLoop(group).run(uri, plan.concurrency(), plan.smallDuration(), (int) plan.bodyBytes());
        } else {
          ExpectedBody expected = route.usesExtProc() ? plan.expectedExtProc() : plan.expectedBaseline();
          UploadSpec spec = new UploadSpec(uri, plan.bodyFile(), plan.bodyBytes(), expected, plan.concurrency(),
              UploadSpec.DEFAULT_CHUNK_BYTES, plan.timeout());
          Map<String, Long> cpuBefore = SseScenario.servesLlm(route) ? SseScenario.cpuMillis(target.pids()) : Map.of();
          UploadDriver.Batch batch = new UploadDriver(group).start(spec);
          progress.phase(label, batch.progress());
          uploads = batch.await();
          if (SseScenario.servesLlm(route)) {
            artifacts.add(SseScenario.writeFigures(routeDir, route, uploads, cpuBefore, SseScenario.cpuMillis(target.pids())));
          }
        }
        cost = small != null ? costMeter.stop(small.completed() * plan.bodyBytes(), small.completed())
            : costMeter.stop(uploads.bytesSent(), -1);
        problems.addAll(costMeter.problems());
        if (snapshots != null) {
          snapshots.save(routeDir, "", profile, artifacts, problems);
        }
        recording = meter.stop();
      }
      if (plan.capture()) {
        // The processor renames a capture file when its body ended, which can trail the response a little.
        long want = 2L * (uploads != null ? uploads.verified() : 0);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while ((captureFiles = countCaptureFiles(captureDir)) < want && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
      }
    } finally {
      target.close();
      if (plan.capture()) {
        deleteTree(captureDir);
      }
    }
    problems.addAll(recording.problems());
    Long liveHeap = null;
    if (target.jfrFile().isPresent() && Files.isRegularFile(target.jfrFile().get())) {
      Path jfr = target.jfrFile().get();
      artifacts.add(jfr);
      try {
        JfrSummary summary = JfrSummary.read(jfr, 10);
        liveHeap = summary.peakHeapAfterGcBytes() >= 0 ? summary.peakHeapAfterGcBytes() : null;
        if (profile) {
          Path top = routeDir.resolve("ext-proc-top-allocations.txt");
          Files.write(top, summary.describeTopSites());
          artifacts.add(top);
        }
      } catch (IOException e) {
        problems.add("reading " + jfr + ": " + e);
      }
    }
    long exchanges = uploads != null ? uploads.verified() : 0;
    if (captureFiles >= 0 && route.usesExtProc() && captureFiles < 2 * exchanges) {
      problems.add("capture files: " + captureFiles + " complete (expected: 2 per verified exchange, "
          + 2 * exchanges + ")");
    }
    List<String> relative = artifacts.stream().map(p -> runDir.relativize(p).toString()).toList();
    RouteReport report = (small != null
        ? smallReport(plan, route, small, recording, liveHeap, problems, relative)
        : uploadReport(plan, route, requireNonNull(uploads, "uploads"), recording, liveHeap, problems, relative))
        .withCost(cost);
    if (!progress.done(summary(report))) {
      log.info("scenario={} route={} {}", plan.key(), route.name(), summary(report)); // once: on the terminal or in the log
    }
    return new RouteOutcome(report, recording);
  }

  /** The most a warm-up upload sends. */
  static final long WARM_UP_BYTES = 1024 * 1024;

  /**
   * Sends one request before the meters start, so that the measured batch does not pay for the JVMs' class
   * loading and JIT; a failure is logged, not counted. Where the response echoes the request it is a 1 MiB
   * prefix of the body. Where the processors replace the body (the seed scenario) it is the whole body: a
   * short input would still pull the whole replacement through Envoy, unpaced by any input, and leave Envoy's
   * memory (its RSS never shrinks) at a peak no measured request reaches. Small requests warm up for 1 s.
   */
  private void warmUp(ScenarioPlan plan, Route route, URI uri, Set<String> problems) throws Exception {
    if (plan.small()) {
      SmallRequestLoop.Result r = new SmallRequestLoop(group).run(uri, 1, Duration.ofSeconds(1), (int) plan.bodyBytes());
      if (r.failed() > 0) {
        log.info("scenario={} route={} warm-up failed (not counted): {}", plan.key(), route.name(), r.firstError());
      }
      return;
    }
    boolean echoes = !SseScenario.servesLlm(route) && (route.baseline() || plan.expectedExtProc().equals(plan.expectedBaseline()));
    long bytes = echoes ? Math.min(plan.bodyBytes(), WARM_UP_BYTES) : plan.bodyBytes();
    ExpectedBody expected = echoes ? ExpectedBody.ofFile("the request body's first " + bytes + " bytes", plan.bodyFile(), bytes)
        : plan.expectedExtProc();
    UploadRun run = new UploadDriver(group).start(new UploadSpec(uri, plan.bodyFile(), bytes, expected, 1,
        UploadSpec.DEFAULT_CHUNK_BYTES, Duration.ofSeconds(120))).await();
    run.results().stream().map(UploadResult::error).filter(e -> e != null).findFirst()
        .ifPresent(e -> log.info("scenario={} route={} warm-up failed (not counted): {}", plan.key(), route.name(), e));
  }

  /**
   * The warm-up of {@link ServerState#WARM}: a whole batch of the measured load (the same uploads at the same
   * concurrency, or the same small-request loop), so that the batch after it runs on compiled code and a sized
   * heap. A failure is logged, not counted (the measured batch shows it again).
   */
  private void warmUpWithTheSameLoad(ScenarioPlan plan, Route route, URI uri) throws Exception {
    String label = plan.key() + " " + route.name() + " c=" + plan.concurrency();
    if (plan.small()) {
      progress.phase(label + " warming up (same load)", null);
      SmallRequestLoop.Result r = new SmallRequestLoop(group).run(uri, plan.concurrency(), plan.smallDuration(),
          (int) plan.bodyBytes());
      if (r.failed() > 0) {
        log.info("scenario={} route={} warm-up failed (not counted): {}", plan.key(), route.name(), r.firstError());
      }
      return;
    }
    ExpectedBody expected = route.usesExtProc() ? plan.expectedExtProc() : plan.expectedBaseline();
    UploadDriver.Batch batch = new UploadDriver(group).start(new UploadSpec(uri, plan.bodyFile(), plan.bodyBytes(),
        expected, plan.concurrency(), UploadSpec.DEFAULT_CHUNK_BYTES, plan.timeout()));
    progress.phase(label + " warming up (same load)", batch.progress());
    UploadRun run = batch.await();
    run.results().stream().map(UploadResult::error).filter(e -> e != null).findFirst()
        .ifPresent(e -> log.info("scenario={} route={} warm-up failed (not counted): {}", plan.key(), route.name(), e));
  }

  private static String summary(RouteReport r) {
    String rate = r.requestsPerS() != null ? Format.one(r.requestsPerS()) + " req/s" : Format.one(r.throughputMibS()) + " MiB/s";
    return r.verified() + "/" + r.requests() + " verified, " + rate + ", p99 " + Format.one(r.p99Ms()) + " ms, Envoy peak RSS "
        + Format.mib(r.peakEnvoyRssBytes()) + ", processor peak heap " + Format.mib(r.peakProcessorHeapBytes())
        + ", processor CPU " + Format.two(r.cost().processorCpuS()) + " s";
  }

  private static Long peak(MemoryRecording recording, Metric... metrics) {
    Long best = null;
    for (Metric m : metrics) {
      OptionalLong p = recording.peak(m);
      if (p.isPresent() && (best == null || p.getAsLong() > best)) {
        best = p.getAsLong();
      }
    }
    return best;
  }

  private static List<String> errors(Set<String> problems, Stream<String> failures) {
    List<String> errors = new ArrayList<>();
    failures.distinct().limit(5).forEach(errors::add);
    errors.addAll(problems);
    return errors;
  }

  private static RouteReport uploadReport(ScenarioPlan plan, Route route, UploadRun run, MemoryRecording recording,
      Long liveHeap, Set<String> problems, List<String> artifacts) {
    Histogram durations = run.durations();
    return new RouteReport(route.name(), plan.concurrency(), plan.bodyBytes(), run.results().size(), run.verified(),
        run.failed(), run.throughputMibPerSecond(), UploadRun.percentileMillis(durations, 50),
        UploadRun.percentileMillis(durations, 99),
        peak(recording, Metric.ENVOY_RSS, Metric.ENVOY_PEAK_RSS),
        peak(recording, Metric.PROCESSOR_RSS, Metric.PROCESSOR_PEAK_RSS),
        peak(recording, Metric.PROCESSOR_HEAP_USED),
        peak(recording, Metric.ECHO_RSS, Metric.ECHO_PEAK_RSS),
        null, null, run.uploadMibPerSecond(), UploadRun.percentileMillis(run.firstBytes(), 50), run.wallNanos() / 1e6,
        run.bytesSent(), run.bytesReceived(),
        peak(recording, Metric.ENVOY_ALLOCATED), peak(recording, Metric.ENVOY_HEAP_SIZE), liveHeap,
        recording.samples().size(),
        errors(problems, run.results().stream().map(UploadResult::error).filter(e -> e != null)),
        artifacts);
  }

  private static RouteReport smallReport(ScenarioPlan plan, Route route, SmallRequestLoop.Result run,
      MemoryRecording recording, Long liveHeap, Set<String> problems, List<String> artifacts) {
    Histogram latency = run.latencyMicros();
    return new RouteReport(route.name(), plan.concurrency(), plan.bodyBytes(), run.completed(), run.verified(),
        run.failed(), null, UploadRun.percentileMillis(latency, 50), UploadRun.percentileMillis(latency, 99),
        peak(recording, Metric.ENVOY_RSS, Metric.ENVOY_PEAK_RSS),
        peak(recording, Metric.PROCESSOR_RSS, Metric.PROCESSOR_PEAK_RSS),
        peak(recording, Metric.PROCESSOR_HEAP_USED),
        peak(recording, Metric.ECHO_RSS, Metric.ECHO_PEAK_RSS),
        run.requestsPerSecond(), null, null, null, run.elapsedNanos() / 1e6,
        run.completed() * plan.bodyBytes(), run.verified() * plan.bodyBytes(),
        peak(recording, Metric.ENVOY_ALLOCATED), peak(recording, Metric.ENVOY_HEAP_SIZE), liveHeap,
        recording.samples().size(),
        errors(problems, run.firstError() == null ? Stream.empty() : Stream.of(run.firstError())),
        artifacts);
  }

  private static long countCaptureFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".body")).count();
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }
}
