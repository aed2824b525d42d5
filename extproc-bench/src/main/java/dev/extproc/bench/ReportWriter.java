package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.awt.Color;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Writes a run directory: {@code report.json}, {@code report.md}, {@code timeseries.csv} and one PNG chart
 * per scenario run and metric ({@code <scenario>-<variant>-envoy-rss.png}, ...), one line per route.
 */
public final class ReportWriter {

  /** The metrics charted, one PNG each per scenario run. */
  static final List<Metric> CHARTED = List.of(Metric.ENVOY_RSS, Metric.ENVOY_ALLOCATED, Metric.PROCESSOR_HEAP_USED);

  private static final Color[] COLORS = {
    new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x7f7f7f),
    new Color(0x9467bd), new Color(0xff7f0e)
  };

  private final ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * Draws the charts of each scenario run into {@code dir} and returns the report with the chart file names
   * filled in.
   */
  public BenchReport drawCharts(Path dir, BenchReport report) throws IOException {
    List<ScenarioReport> scenarios = new ArrayList<>();
    for (ScenarioReport s : report.scenarios()) {
      List<String> charts = new ArrayList<>();
      for (Metric metric : CHARTED) {
        String file = chartFileName(s, metric);
        if (drawChart(dir.resolve(file), s, metric)) {
          charts.add(file);
        }
      }
      scenarios.add(s.with(s.targets(), charts));
    }
    return new BenchReport(report.startedAt(), report.finishedAt(), report.command(), report.machine(),
        report.definitions(), scenarios);
  }

  /** Writes report.json, report.md and timeseries.csv (charts first, through {@link #drawCharts}). */
  public BenchReport write(Path dir, BenchReport report) throws IOException {
    requireNonNull(dir, "dir");
    requireNonNull(report, "report");
    Files.createDirectories(dir);
    BenchReport withCharts = drawCharts(dir, report);
    mapper.writeValue(dir.resolve("report.json").toFile(), withCharts);
    Files.writeString(dir.resolve("report.md"), markdown(withCharts), StandardCharsets.UTF_8);
    writeCsv(dir.resolve("timeseries.csv"), withCharts);
    return withCharts;
  }

  static String chartFileName(ScenarioReport s, Metric metric) {
    return s.key() + "-" + metric.csvName().replace("_bytes", "").replace('_', '-') + ".png";
  }

  /** Returns the Markdown report. */
  public static String markdown(BenchReport report) {
    StringBuilder md = new StringBuilder();
    md.append("# extproc bench report\n\n");
    md.append("Started ").append(report.startedAt()).append(", finished ").append(report.finishedAt()).append(".\n\n");
    md.append("Command: `").append(report.command()).append("`\n\n");
    md.append("Machine: ");
    List<String> machine = new ArrayList<>();
    report.machine().entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> machine.add(e.getKey() + " " + e.getValue()));
    md.append(String.join("; ", machine)).append(".\n\n");
    md.append("Overall: ").append(report.allVerified() ? "every response verified" : "**SOME RESPONSES FAILED**").append(".\n\n");
    for (ScenarioReport s : report.scenarios()) {
      md.append("## ").append(s.scenario()).append(s.variant().isEmpty() ? "" : " (" + s.variant() + ")").append("\n\n");
      md.append(s.description()).append("\n\n");
      if (!s.settings().isEmpty()) {
        List<String> settings = new ArrayList<>();
        s.settings().entrySet().stream().sorted(Map.Entry.comparingByKey())
            .forEach(e -> settings.add(e.getKey() + "=" + e.getValue()));
        md.append("Settings: ").append(String.join(", ", settings)).append("\n\n");
      }
      boolean small = s.scenario().equals("small");
      Long baseRss = s.route(Route.BASELINE.name()).filter(RouteReport::ran).map(RouteReport::peakEnvoyRssBytes).orElse(null);
      Double baseTp = s.route(Route.BASELINE.name()).filter(RouteReport::ran)
          .map(r -> small ? r.requestsPerS() : r.throughputMibS()).orElse(null);
      md.append("| route | peak Envoy RSS | Envoy RSS / baseline | peak Envoy allocated | peak processor heap | peak processor RSS | peak echo RSS | ")
          .append(small ? "requests/s" : "throughput MiB/s").append(" | / baseline | p50 ms | p99 ms | verified |\n");
      md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
      for (RouteReport r : s.routes()) {
        if (!r.ran()) {
          md.append("| ").append(r.route()).append(" | skipped: ").append(r.skipped()).append(" |||||||||||\n");
          continue;
        }
        Double tp = small ? r.requestsPerS() : r.throughputMibS();
        md.append("| ").append(r.route())
            .append(" | ").append(Format.mib(r.peakEnvoyRssBytes()))
            .append(" | ").append(Format.ratio(ratio(r.peakEnvoyRssBytes(), baseRss)))
            .append(" | ").append(Format.mib(r.peakEnvoyAllocatedBytes()))
            .append(" | ").append(Format.mib(r.peakProcessorHeapBytes()))
            .append(" | ").append(Format.mib(r.peakProcessorRssBytes()))
            .append(" | ").append(Format.mib(r.peakEchoRssBytes()))
            .append(" | ").append(Format.one(tp))
            .append(" | ").append(Format.ratio(tp == null || baseTp == null || baseTp == 0 ? null : tp / baseTp))
            .append(" | ").append(Format.one(r.p50Ms()))
            .append(" | ").append(Format.one(r.p99Ms()))
            .append(" | ").append(r.allVerified() ? "yes" : "**NO**").append(" (").append(r.verified()).append('/')
            .append(r.requests()).append(")")
            .append(" |\n");
      }
      md.append('\n');
      for (RouteReport r : s.routes()) {
        if (r.ran() && !r.errors().isEmpty()) {
          md.append("- ").append(r.route()).append(" problems: ").append(String.join("; ", r.errors())).append('\n');
        }
      }
      if (!s.targets().isEmpty()) {
        md.append("\n| target | met | detail |\n|---|---|---|\n");
        for (TargetVerdict t : s.targets()) {
          md.append("| ").append(t.target()).append(" | ").append(t.verdict()).append(" | ").append(t.detail()).append(" |\n");
        }
        md.append('\n');
      }
      for (String chart : s.charts()) {
        md.append("![").append(chart).append("](").append(chart).append(")\n");
      }
      List<String> artifacts = new ArrayList<>();
      for (RouteReport r : s.routes()) {
        for (String a : r.artifacts()) {
          artifacts.add("[" + a + "](" + a + ")");
        }
      }
      if (!artifacts.isEmpty()) {
        md.append("\nFiles: ").append(String.join(", ", artifacts)).append('\n');
      }
      md.append('\n');
    }
    md.append("## Definitions\n\n");
    report.definitions().entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> md.append("- `").append(e.getKey()).append("`: ").append(e.getValue()).append('\n'));
    return md.toString();
  }

  private static Double ratio(Long value, Long base) {
    return value == null || base == null || base == 0 ? null : (double) value / base;
  }

  private static void writeCsv(Path file, BenchReport report) throws IOException {
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      out.write("scenario,variant,route,elapsed_ms,metric,value\n");
      for (ScenarioReport s : report.scenarios()) {
        for (RouteReport r : s.routes()) {
          MemoryRecording recording = s.recordings().get(r.route());
          if (recording == null) {
            continue;
          }
          for (MemoryRecording.Sample sample : recording.samples()) {
            out.write(s.scenario() + "," + s.variant() + "," + r.route() + "," + sample.elapsedMillis() + ","
                + sample.metric().csvName() + "," + sample.value() + "\n");
          }
        }
      }
    }
  }

  /** Draws one metric over time, one line per route; returns false when no route has samples of it. */
  static boolean drawChart(Path file, ScenarioReport s, Metric metric) throws IOException {
    XYChart chart = new XYChartBuilder().width(900).height(500)
        .title(s.scenario() + (s.variant().isEmpty() ? "" : " (" + s.variant() + ")") + ": " + metric.label())
        .xAxisTitle("seconds since the route started").yAxisTitle("MiB").build();
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setPlotGridLinesVisible(true);
    chart.getStyler().setMarkerSize(0);
    int series = 0;
    for (RouteReport r : s.routes()) {
      MemoryRecording recording = s.recordings().get(r.route());
      if (recording == null) {
        continue;
      }
      List<MemoryRecording.Sample> samples = recording.series(metric);
      if (samples.isEmpty()) {
        continue;
      }
      double[] x = new double[samples.size()];
      double[] y = new double[samples.size()];
      for (int i = 0; i < samples.size(); i++) {
        x[i] = samples.get(i).elapsedMillis() / 1000.0;
        y[i] = samples.get(i).value() / 1024.0 / 1024.0;
      }
      XYSeries line = chart.addSeries(r.route(), x, y);
      line.setMarker(SeriesMarkers.NONE);
      line.setLineColor(COLORS[series % COLORS.length]);
      series++;
    }
    if (series == 0) {
      return false;
    }
    try {
      BitmapEncoder.saveBitmap(chart, file.toString().replaceAll("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return true;
  }

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
