package dev.extproc.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.extproc.echo.EchoMode;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The whole runner and report against an echo-only environment (no Envoy: every route is the echo). */
@Timeout(120)
class BenchTest {

  @RegisterExtension final EchoExtension echo = new EchoExtension();

  @TempDir Path dir;

  /** Every route is served by an in-process echo; the "echo process" measured is this JVM. */
  final class EchoEnvironment implements BenchEnvironment {
    int started;
    /** Whether this JVM stands in for the ext_proc server whose CPU is metered. */
    boolean meterThisJvmAsProcessor;

    @Override
    public Target start(StackSettings settings, Route route, Path routeDir) {
      started++;
      URI base = echo.start(settings.aggregatingEcho() ? EchoMode.aggregating(EchoMode.DEFAULT_MAX_CONTENT_LENGTH)
          : EchoMode.streaming());
      return new Target() {
        @Override
        public URI baseUri(Route r) {
          return base;
        }

        @Override
        public List<MeterSource> meterSources() {
          return List.of(MeterSources.process("echo", ProcessHandle.current().pid(), Metric.ECHO_RSS, Metric.ECHO_PEAK_RSS));
        }

        @Override
        public Optional<URI> envoyAdmin() {
          return Optional.empty();
        }

        @Override
        public Optional<Path> jfrFile() {
          return Optional.empty();
        }

        @Override
        public OptionalLong processorPid() {
          return meterThisJvmAsProcessor ? OptionalLong.of(ProcessHandle.current().pid()) : OptionalLong.empty();
        }

        @Override
        public void close() {}
      };
    }

    @Override
    public OptionalLong bufferLimitBytes() {
      return OptionalLong.of(100_000);
    }

    @Override
    public Map<String, String> describe() {
      return Map.of("environment", "echo only");
    }
  }

  private BenchOptions options(String scenario, Path media, Long bodyBytes) {
    return new BenchOptions(scenario, Route.DEFAULTS, bodyBytes, List.of(2), media, Duration.ofMillis(300),
        Duration.ofSeconds(60), false, List.of());
  }

  @Test
  void passthroughScenario_writesTheReportWithEveryRouteVerified() throws Exception {
    Path media = Files.createDirectories(dir.resolve("media"));
    TestFiles.random(media, "input.mp4", 256 * 1024, 7);
    EchoEnvironment environment = new EchoEnvironment();
    Path run = dir.resolve("run");

    BenchReport report = Bench.run(options("passthrough", media, null), environment, run, ProgressDisplay.quiet(),
        "extproc bench --scenario passthrough");

    assertThat(report.allVerified()).isTrue();
    ScenarioReport s = report.scenarios().get(0);
    assertThat(s.key()).isEqualTo("passthrough-c2");
    assertThat(s.routes()).extracting(RouteReport::route)
        .containsExactly("/streamed", "/full-duplex-streamed", "/buffered", "baseline");
    assertThat(s.route("/buffered").orElseThrow().skipped())
        .isEqualTo("a 262144-byte body does not fit the /buffered route's request body buffer limit of 100000 bytes"
            + " (Envoy route request_body_buffer_limit); BUFFERED would answer 413");
    assertThat(environment.started).isEqualTo(3);
    RouteReport streamed = s.route("/streamed").orElseThrow();
    assertThat(streamed.verified()).isEqualTo(2);
    assertThat(streamed.bytesReceived()).isEqualTo(2 * 256 * 1024);
    assertThat(streamed.peakEchoRssBytes()).isGreaterThan(10L * 1024 * 1024);
    assertThat(streamed.peakEnvoyRssBytes()).isNull();
    assertThat(streamed.samples()).isPositive();
    assertThat(s.targets()).extracting(TargetVerdict::target).contains("throughput on /streamed >= 0.5 x baseline");

    JsonNode json = new ObjectMapper().readTree(run.resolve("report.json").toFile());
    JsonNode first = json.get("scenarios").get(0).get("routes").get(0);
    assertThat(first.fieldNames()).toIterable().containsAll(ReportWriterTest.BINDING_KEYS);
    assertThat(first.get("verified").asLong()).isEqualTo(2);
    assertThat(run.resolve("report.md")).content().contains("## passthrough (c2)");
    assertThat(run.resolve("timeseries.csv")).content().contains(",/streamed,").contains("echo_rss_bytes");
    assertThat(run.resolve("passthrough-c2-echo-rss.png")).doesNotExist();
  }

  @Test
  void warmPassthrough_metersTheProcessorsCpuOverTheBatch_perMiB() throws Exception {
    Path media = Files.createDirectories(dir.resolve("media"));
    TestFiles.random(media, "input.mp4", 1024 * 1024, 12);
    EchoEnvironment environment = new EchoEnvironment();
    environment.meterThisJvmAsProcessor = true;
    Path run = dir.resolve("run");

    BenchReport report = Bench.run(options("passthrough", media, null), environment, run, ProgressDisplay.quiet(),
        "extproc bench --scenario passthrough --warm", ServerState.WARM);

    ScenarioReport s = report.scenarios().get(0);
    assertThat(s.settings()).containsEntry("server_state", "warm").containsEntry("ext_proc_jfr", "off (--profile records it)");
    RouteCost cost = s.route("/streamed").orElseThrow().cost();
    assertThat(cost.processorCpuS()).isPositive();
    assertThat(cost.processorCpuMsPerMib()).isCloseTo(cost.processorCpuS() * 1000 / 2, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(cost.processorCpuMsPerRequest()).isNull();
    assertThat(cost.envoyCpuS()).isNull();
    assertThat(cost.processorGcCollections()).isNull();
    JsonNode row = new ObjectMapper().readTree(run.resolve("report.json").toFile()).get("scenarios").get(0).get("routes").get(0);
    assertThat(row.get("processor_cpu_s").asDouble()).isEqualTo(cost.processorCpuS());
    assertThat(row.has("processor_cpu_ms_per_mib")).isTrue();
    assertThat(row.has("envoy_cpu_s")).isTrue();
    assertThat(row.has("cost")).isFalse();
    assertThat(run.resolve("report.md")).content().contains("| processor CPU s | Envoy CPU s | processor CPU ms/MiB |")
        .contains("Processor peak heap after GC (JFR): not recorded");
  }

  @Test
  void smallRequests_reportProcessorCpuPerRequest() throws Exception {
    Path media = Files.createDirectories(dir.resolve("media"));
    EchoEnvironment environment = new EchoEnvironment();
    environment.meterThisJvmAsProcessor = true;

    BenchReport report = Bench.run(options("small", media, null), environment, dir.resolve("run"),
        ProgressDisplay.quiet(), "extproc bench --scenario small");

    RouteReport baseline = report.scenarios().get(0).route("baseline").orElseThrow();
    assertThat(report.scenarios().get(0).settings()).containsEntry("server_state", "fresh");
    assertThat(baseline.cost().processorCpuMsPerRequest())
        .isCloseTo(baseline.cost().processorCpuS() * 1000 / baseline.requests(), org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void seedScenario_expectsTheResponseReplacementOnExtProcRoutes_soAnEchoFailsThemButNotTheBaseline() throws Exception {
    Path media = Files.createDirectories(dir.resolve("media"));
    TestFiles.random(media, "input.mp4", 64 * 1024, 8);
    TestFiles.random(media, "request-replacement.mp4", 70 * 1024, 9);
    TestFiles.random(media, "response-replacement.mp4", 20 * 1024, 10);

    BenchReport report = Bench.run(options("seed", media, null), new EchoEnvironment(), dir.resolve("run"),
        ProgressDisplay.quiet(), "extproc bench --scenario seed");

    assertThat(report.scenarios()).extracting(ScenarioReport::key)
        .containsExactly("seed-aggregating-echo", "seed-streaming-echo");
    ScenarioReport s = report.scenarios().get(0);
    assertThat(s.route("baseline").orElseThrow().allVerified()).isTrue();
    assertThat(s.route("/streamed").orElseThrow().failed()).isEqualTo(2);
    assertThat(s.route("/streamed").orElseThrow().errors().get(0)).contains("response-replacement.mp4");
    assertThat(report.allVerified()).isFalse();
    assertThat(s.targets().get(0).met()).isFalse();
  }

  @Test
  void smallScenario_reportsRequestsPerSecond() throws Exception {
    Path media = Files.createDirectories(dir.resolve("media"));

    BenchReport report = Bench.run(options("small", media, null), new EchoEnvironment(), dir.resolve("run"),
        ProgressDisplay.quiet(), "extproc bench --scenario small");

    RouteReport baseline = report.scenarios().get(0).route("baseline").orElseThrow();
    assertThat(baseline.requestsPerS()).isPositive();
    assertThat(baseline.failed()).isZero();
    assertThat(baseline.bodyBytes()).isEqualTo(1024);
    assertThat(report.scenarios().get(0).route("/buffered").orElseThrow().ran()).isTrue();
  }

  @Test
  void aBodySizeOtherThanTheInput_isBuiltFromTheInputOnce() throws Exception {
    Path media = Files.createDirectories(dir.resolve("media"));
    TestFiles.random(media, "input.mp4", 1000, 11);

    Path body = Scenarios.bodyFile(options("passthrough", media, 2500L));

    assertThat(body).hasFileName("body-2500.bin").hasSize(2500);
    byte[] input = Files.readAllBytes(media.resolve("input.mp4"));
    byte[] built = Files.readAllBytes(body);
    assertThat(java.util.Arrays.copyOfRange(built, 1000, 2000)).isEqualTo(input);
    assertThat(Scenarios.bodyFile(options("passthrough", media, 2500L))).isEqualTo(body);
  }
}
