package dev.extproc.app.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.extproc.bench.Bench;
import dev.extproc.bench.BenchOptions;
import dev.extproc.bench.BenchReport;
import dev.extproc.bench.LocalStackEnvironment;
import dev.extproc.bench.ProgressDisplay;
import dev.extproc.bench.Route;
import dev.extproc.bench.RouteReport;
import dev.extproc.bench.ScenarioReport;
import dev.extproc.bench.ServerState;
import dev.extproc.stack.EnvoyInstallation;
import dev.extproc.stack.EnvoyTuning;
import dev.extproc.stack.ProjectRoot;
import dev.extproc.stack.ServerJvm;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each benchmark scenario, small and fast, against a real Envoy (a fresh local stack per route): the report
 * is written, every response is verified, and the meters read plausible values from each process.
 */
@Timeout(300)
class ScenariosBenchE2ETest {

  static final long MIB = 1024 * 1024;
  static final List<String> BINDING_KEYS = List.of("route", "concurrency", "body_bytes", "requests", "verified", "failed",
      "throughput_mib_s", "p50_ms", "p99_ms", "peak_envoy_rss_bytes", "peak_processor_rss_bytes",
      "peak_processor_heap_bytes", "peak_echo_rss_bytes", "requests_per_s", "processor_cpu_s", "envoy_cpu_s",
      "processor_cpu_ms_per_mib", "processor_cpu_ms_per_request");

  static EnvoyInstallation envoy;
  static HttpClient admin;

  @TempDir static Path media;
  @TempDir Path run;

  @BeforeAll
  static void locateEnvoyAndWriteSmallMedia() throws IOException {
    // Fails (never skips) with the install instructions when Envoy is missing.
    envoy = EnvoyInstallation.locate(ProjectRoot.find());
    admin = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).version(HttpClient.Version.HTTP_1_1).build();
    random(media.resolve("input.mp4"), 256 * 1024, 1);
    random(media.resolve("request-replacement.mp4"), 300 * 1024, 2);
    random(media.resolve("response-replacement.mp4"), 100 * 1024, 3);
  }

  static void random(Path file, int size, long seed) throws IOException {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    Files.write(file, bytes);
  }

  /** Runs a scenario on some routes (a fresh stack per route costs seconds: CI runs a few per scenario). */
  BenchReport bench(String scenario, String routes, boolean profile) throws Exception {
    return bench(scenario, routes, profile, ServerState.FRESH, null);
  }

  BenchReport bench(String scenario, String routes, boolean profile, ServerState state) throws Exception {
    return bench(scenario, routes, profile, state, null);
  }

  BenchReport bench(String scenario, String routes, boolean profile, Long bodyBytes) throws Exception {
    return bench(scenario, routes, profile, ServerState.FRESH, bodyBytes);
  }

  BenchReport bench(String scenario, String routes, boolean profile, ServerState state, Long bodyBytes)
      throws Exception {
    BenchOptions options = new BenchOptions(scenario, Route.parseList(routes), bodyBytes, List.of(2), media, Duration.ofSeconds(2),
        Duration.ofSeconds(120), profile, List.of());
    LocalStackEnvironment environment = new LocalStackEnvironment(envoy, EnvoyTuning.defaults(), null, admin,
        System.getProperty("java.class.path"));
    return Bench.run(options, environment, run, ProgressDisplay.quiet(), "extproc bench --scenario " + scenario, state);
  }

  void assertPlausible(BenchReport report, String... routes) throws IOException {
    assertThat(report.allVerified()).as(errors(report)).isTrue();
    for (ScenarioReport s : report.scenarios()) {
      assertThat(s.routes()).extracting(RouteReport::route).containsExactly(routes);
      for (RouteReport r : s.routes()) {
        assertThat(r.ran()).as(s.key() + " " + r.route() + " skipped: " + r.skipped()).isTrue();
        assertThat(r.failed()).isZero();
        assertThat(r.verified()).isEqualTo(r.requests()).isPositive();
        assertThat(r.peakEnvoyRssBytes()).as("Envoy RSS").isGreaterThan(10 * MIB);
        assertThat(r.peakEchoRssBytes()).as("echo RSS").isPositive();
        assertThat(r.peakProcessorRssBytes()).as("processor RSS").isGreaterThan(10 * MIB);
        assertThat(r.peakProcessorHeapBytes()).as("processor heap").isPositive();
        assertThat(r.peakEnvoyAllocatedBytes()).as("Envoy allocated").isPositive();
        assertThat(r.samples()).isGreaterThan(5);
        // CPU time comes in clock ticks (10 ms): a small batch may read 0, never null or negative.
        assertThat(r.cost().envoyCpuS()).as("Envoy CPU").isNotNull().isNotNegative();
        assertThat(r.cost().processorCpuS()).as("processor CPU").isNotNull().isNotNegative();
        assertThat(r.cost().processorCpuMsPerMib()).as("processor CPU ms/MiB").isNotNull().isNotNegative();
        assertThat(r.cost().processorGcCollections()).as("processor GCs").isNotNull().isNotNegative();
        assertThat(r.cost().processorFullGcs()).as("processor full GCs").isNotNull().isNotNegative();
        assertThat(r.errors()).as("problems").isEmpty();
      }
    }
    JsonNode json = new ObjectMapper().readTree(run.resolve("report.json").toFile());
    for (JsonNode s : json.get("scenarios")) {
      for (JsonNode r : s.get("routes")) {
        assertThat(r.fieldNames()).toIterable().containsAll(BINDING_KEYS);
      }
    }
    assertThat(run.resolve("report.md")).isNotEmptyFile();
    assertThat(run.resolve("timeseries.csv")).isNotEmptyFile();
    assertThat(report.scenarios().get(0).charts()).isNotEmpty()
        .allSatisfy(chart -> assertThat(run.resolve(chart)).isNotEmptyFile());
  }

  static String errors(BenchReport report) {
    StringBuilder sb = new StringBuilder();
    report.scenarios().forEach(s -> s.routes().forEach(r -> sb.append(s.key()).append(' ').append(r.route())
        .append(": ").append(r.errors()).append('\n')));
    return sb.toString();
  }

  @Test
  void seed_bothEchoes_everyResponseIsTheResponseReplacement() throws Exception {
    BenchReport report = bench("seed", "/full-duplex-streamed,baseline", false);

    assertThat(report.scenarios()).extracting(ScenarioReport::key)
        .containsExactly("seed-aggregating-echo", "seed-streaming-echo");
    assertPlausible(report, "/full-duplex-streamed", "baseline");
    assertThat(report.scenarios().get(0).targets()).extracting(t -> t.target())
        .contains("Envoy peak RSS on /full-duplex-streamed <= 1.5 x baseline");
    RouteReport fds = report.scenarios().get(0).route("/full-duplex-streamed").orElseThrow();
    assertThat(fds.bytesReceived()).isEqualTo(2 * 100 * 1024);
  }

  @Test
  void passthrough_withProfile_savesEnvoyProfilesAndJfrTopSites() throws Exception {
    BenchReport report = bench("passthrough", "/streamed,/full-duplex-streamed,/buffered,baseline", true);

    assertPlausible(report, "/streamed", "/full-duplex-streamed", "/buffered", "baseline");
    RouteReport fds = report.scenarios().get(0).route("/full-duplex-streamed").orElseThrow();
    assertThat(fds.artifacts()).contains("passthrough-c2/full-duplex-streamed/envoy-stats.txt",
        "passthrough-c2/full-duplex-streamed/envoy-peak-heap.pb.gz",
        "passthrough-c2/full-duplex-streamed/envoy-alloc-profile.pb.gz",
        "passthrough-c2/full-duplex-streamed/ext-proc.jfr",
        "passthrough-c2/full-duplex-streamed/ext-proc-top-allocations.txt");
    assertThat(run.resolve("passthrough-c2/full-duplex-streamed/ext-proc-top-allocations.txt")).content().contains(" at ");
    assertThat(fds.peakProcessorLiveHeapBytes()).isPositive();
  }

  @Test
  void slowProcessor_isVerified() throws Exception {
    assertPlausible(bench("slow-processor", "/streamed,baseline", false), "/streamed", "baseline");
  }

  @Test
  void small_warm_reportsRequestsPerSecondAndCpuPerRequestPerRoute() throws Exception {
    BenchReport report = bench("small", "/full-duplex-streamed,baseline", false, ServerState.WARM);

    assertPlausible(report, "/full-duplex-streamed", "baseline");
    assertThat(report.scenarios().get(0).routes()).allSatisfy(r -> assertThat(r.requestsPerS()).isPositive());
    assertThat(report.scenarios().get(0).settings()).containsEntry("server_state", "warm")
        .containsEntry("processor_java", ServerJvm.select().describe());
    assertThat(report.scenarios().get(0).route("/full-duplex-streamed").orElseThrow().cost().processorCpuMsPerRequest())
        .isPositive();
  }

  /**
   * The transform scenarios: the processor's run, then pass-through's; every response verified
   * (the baseline route is the same in every scenario, so it is left out here to save CI time).
   */
  @Test
  void redact_andPassthroughInTheSameRun() throws Exception {
    BenchReport report = bench("redact", "/streamed", false, 256L * 1024);

    assertThat(report.scenarios()).extracting(ScenarioReport::key).containsExactly("redact-c2", "redact-passthrough");
    assertPlausible(report, "/streamed");
  }

  @Test
  void jsonMask_isVerified() throws Exception {
    BenchReport report = bench("json-mask", "/full-duplex-streamed", false, 256L * 1024);

    assertThat(report.scenarios()).extracting(ScenarioReport::key).containsExactly("json-mask-c2", "json-mask-passthrough");
    assertPlausible(report, "/full-duplex-streamed");
  }
}
