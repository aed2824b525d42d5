package dev.extproc.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {

  static final List<String> BINDING_KEYS = List.of("route", "concurrency", "body_bytes", "requests", "verified", "failed",
      "throughput_mib_s", "p50_ms", "p99_ms", "peak_envoy_rss_bytes", "peak_processor_rss_bytes",
      "peak_processor_heap_bytes", "peak_echo_rss_bytes", "requests_per_s", "processor_cpu_s", "envoy_cpu_s",
      "processor_cpu_ms_per_mib", "processor_cpu_ms_per_request");

  static RouteReport route(String name, long envoyRss, double throughput, long heap) {
    return new RouteReport(name, 10, 1000, 10, 10, 0, throughput, 12.0, 20.0, envoyRss, 200L << 20, heap, 50L << 20,
        null, null, throughput / 2, 1.0, 100.0, 10_000, 10_000, envoyRss / 2, envoyRss / 2, null, 30, List.of(), List.of());
  }

  static MemoryRecording recording(long base) {
    return new MemoryRecording(List.of(
        new MemoryRecording.Sample(0, Metric.ENVOY_RSS, base),
        new MemoryRecording.Sample(100, Metric.ENVOY_RSS, base * 2),
        new MemoryRecording.Sample(100, Metric.PROCESSOR_HEAP_USED, base / 2),
        new MemoryRecording.Sample(100, Metric.PROCESSOR_HEAP_LIVE, base / 4),
        new MemoryRecording.Sample(100, Metric.ENVOY_ALLOCATED, base / 3),
        new MemoryRecording.Sample(200, Metric.PROCESSOR_HEAP_USED, base / 3),
        new MemoryRecording.Sample(200, Metric.PROCESSOR_HEAP_LIVE, base / 4),
        new MemoryRecording.Sample(200, Metric.ENVOY_RSS, base)), List.of());
  }

  static ScenarioReport seed(long fdsRss) {
    List<RouteReport> routes = List.of(
        route("/streamed", 100L << 20, 80, 30L << 20),
        route("/full-duplex-streamed", fdsRss, 90, 40L << 20),
        RouteReport.skipped("/buffered", 10, 1000, "too big"),
        route("baseline", 100L << 20, 100, 0));
    ScenarioReport s = new ScenarioReport("seed", "aggregating-echo", "The seed.", 10, 1000, Map.of("echo", "aggregating"),
        routes, List.of(), List.of(),
        Map.of("/streamed", recording(60L << 20), "/full-duplex-streamed", recording(80L << 20), "baseline", recording(50L << 20)));
    return s.with(Targets.evaluate(s), List.of());
  }

  @Test
  void seedTargets_areJudgedWithTheirMargins() {
    assertThat(seed(140L << 20).targets()).extracting(TargetVerdict::target, TargetVerdict::verdict).containsExactly(
        org.assertj.core.groups.Tuple.tuple("every response verified", "yes"),
        org.assertj.core.groups.Tuple.tuple("Envoy peak RSS on /full-duplex-streamed <= 1.5 x baseline", "yes"),
        org.assertj.core.groups.Tuple.tuple("ext_proc server heap used < 64 MiB at concurrency 10", "yes"));
    TargetVerdict missed = seed(300L << 20).targets().get(1);
    assertThat(missed.met()).isFalse();
    assertThat(missed.detail()).isEqualTo("300.0 MiB / 100.0 MiB = 3.00 x (missed by 1.50 x)");
  }

  @Test
  void writesJsonWithTheBindingKeysMarkdownCsvAndCharts(@TempDir Path dir) throws Exception {
    BenchReport report = new BenchReport("2026-11-27T10:00:00Z", "2026-11-27T10:05:00Z", "extproc bench --scenario seed",
        Map.of("cores", "2"), BenchReport.DEFINITIONS, List.of(seed(140L << 20)));

    BenchReport written = new ReportWriter().write(dir, report);

    JsonNode json = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
    JsonNode routes = json.get("scenarios").get(0).get("routes");
    for (JsonNode route : routes) {
      assertThat(route.fieldNames()).toIterable().containsAll(BINDING_KEYS);
    }
    assertThat(routes.get(0).get("peak_envoy_rss_bytes").asLong()).isEqualTo(100L << 20);
    assertThat(routes.get(2).get("skipped").asText()).isEqualTo("too big");
    String md = Files.readString(dir.resolve("report.md"));
    assertThat(md).contains("## seed (aggregating-echo)")
        .contains("| /full-duplex-streamed | 140.0 MiB | 1.40 x |")
        .contains("| /buffered | skipped: too big |")
        .contains("| Envoy peak RSS on /full-duplex-streamed <= 1.5 x baseline | yes |");
    assertThat(Files.readAllLines(dir.resolve("timeseries.csv")))
        .first().isEqualTo("scenario,variant,route,elapsed_ms,metric,value");
    assertThat(Files.readAllLines(dir.resolve("timeseries.csv")))
        .contains("seed,aggregating-echo,/streamed,100,envoy_rss_bytes," + (120L << 20));
    List<String> charts = written.scenarios().get(0).charts();
    assertThat(charts).contains("seed-aggregating-echo-envoy-rss.png", "seed-aggregating-echo-processor-heap-used.png");
    for (String chart : charts) {
      byte[] png = Files.readAllBytes(dir.resolve(chart));
      assertThat(png).startsWith(0x89, 'P', 'N', 'G');
    }
    assertThat(md).contains("![seed-aggregating-echo-envoy-rss.png](seed-aggregating-echo-envoy-rss.png)")
        .contains("## Reading the report").contains("Envoy allocated is what Envoy's own code holds")
        .contains("[report.html](report.html)");
    String html = Files.readString(dir.resolve("report.html"));
    assertThat(html).contains("<td>/full-duplex-streamed</td><td>140.0 MiB</td><td>1.40 x</td>")
        .contains("Envoy peak RSS on /full-duplex-streamed &lt;= 1.5 x baseline")
        .contains("<td>echo</td><td style=\"text-align:left\">aggregating</td>");
  }

  @Test
  void charts_haveTheirTargetLines_andTheHeapChartBothSeries() {
    ScenarioReport s = seed(140L << 20);

    assertThat(Charts.reference(s, Charts.Kind.ENVOY_RSS)).hasValueSatisfying(l ->
        assertThat(l.bytes()).isEqualTo((long) (1.5 * (100L << 20))));
    assertThat(Charts.reference(s, Charts.Kind.PROCESSOR_HEAP)).hasValueSatisfying(l ->
        assertThat(l.bytes()).isEqualTo(64L << 20));
    assertThat(Charts.reference(s, Charts.Kind.ENVOY_ALLOCATED)).isEmpty();
    assertThat(Charts.xmx("-XX:+UseG1GC -Xmx1g -Xmx64m")).hasValue(64L << 20);
    assertThat(Charts.xmx("-Xss1m")).isEmpty();
  }
}
