package dev.extproc.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws the run directory's charts so a person reads each at a glance: one line per route over the
 * route's seconds, y axes from zero, the target or limit that applies as a labelled dashed line, and
 * the processor heap as its live set after GC (solid) beside the heap used with garbage (thin dots).
 */
final class Charts {

  /** The charts of a scenario run: the metric that names the file, and the title. */
  enum Kind {
    ENVOY_RSS(Metric.ENVOY_RSS, "Envoy RSS (the process's resident memory)"),
    ENVOY_ALLOCATED(Metric.ENVOY_ALLOCATED, "Envoy allocated (held by Envoy's code; RSS adds allocator caches)"),
    PROCESSOR_HEAP(Metric.PROCESSOR_HEAP_USED, "ext_proc heap: live after GC (solid), used with garbage (dotted)");

    final Metric fileMetric;
    final String title;

    Kind(Metric fileMetric, String title) {
      this.fileMetric = fileMetric;
      this.title = title;
    }
  }

  private static final Color[] COLORS = {
    new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x7f7f7f),
    new Color(0x9467bd), new Color(0xff7f0e)
  };
  private static final Color REFERENCE = new Color(0x222222);
  private static final double MIB = 1024.0 * 1024.0;
  /** Pixels: room for the longest title beside the legend. */
  static final int WIDTH = 1100;

  private Charts() {}

  static String fileName(ScenarioReport s, Kind kind) {
    return s.key() + "-" + kind.fileMetric.csvName().replace("_bytes", "").replace('_', '-') + ".png";
  }

  /** Draws one chart; returns false (and writes nothing) when no route has samples of it. */
  static boolean draw(Path file, ScenarioReport s, Kind kind) throws IOException {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(520)
        .title(s.scenario() + (s.variant().isEmpty() ? "" : " (" + s.variant() + ")") + ": " + kind.title)
        .xAxisTitle("seconds since the route started").yAxisTitle("MiB").build();
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setPlotGridLinesVisible(true);
    chart.getStyler().setMarkerSize(0);
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setChartTitleFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, 15));
    int routes = 0;
    double maxX = 0;
    for (RouteReport r : s.routes()) {
      MemoryRecording recording = s.recordings().get(r.route());
      if (recording == null) {
        continue;
      }
      Color color = COLORS[routes % COLORS.length];
      boolean drawn = false;
      if (kind == Kind.PROCESSOR_HEAP) {
        drawn |= addSeries(chart, recording, Metric.PROCESSOR_HEAP_LIVE, r.route() + " live after GC", color, false);
        drawn |= addSeries(chart, recording, Metric.PROCESSOR_HEAP_USED, r.route() + " used, garbage included",
            color, true);
      } else {
        drawn = addSeries(chart, recording, kind.fileMetric, r.route(), color, false);
      }
      if (drawn) {
        routes++;
        for (MemoryRecording.Sample sample : recording.samples()) {
          maxX = Math.max(maxX, sample.elapsedMillis() / 1000.0);
        }
      }
    }
    if (routes == 0) {
      return false;
    }
    double width = Math.max(maxX, 1);
    reference(s, kind).ifPresent(line -> addLevel(chart, line.label(), line.bytes() / MIB, width));
    try {
      BitmapEncoder.saveBitmap(chart, file.toString().replaceAll("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return true;
  }

  /** A horizontal line to read the chart against. */
  record Level(String label, long bytes) {}

  /**
   * Returns the target or limit line of a chart, if one applies: the seed's Envoy RSS target (1.5 x
   * the baseline's peak), the processor heap target (64 MiB at concurrency 10) or, else, the
   * server's {@code -Xmx}.
   */
  static Optional<Level> reference(ScenarioReport s, Kind kind) {
    switch (kind) {
      case ENVOY_RSS -> {
        if (!s.scenario().equals("seed")) {
          return Optional.empty();
        }
        return s.route(Route.BASELINE.name()).filter(RouteReport::ran).map(RouteReport::peakEnvoyRssBytes)
            .map(base -> new Level("target: /full-duplex-streamed peak <= " + Targets.SEED_FDS_RSS_RATIO
                + " x baseline peak", (long) (base * Targets.SEED_FDS_RSS_RATIO)));
      }
      case PROCESSOR_HEAP -> {
        if (s.concurrency() == 10 && !s.scenario().equals("small")) {
          return Optional.of(new Level("target: heap < 64 MiB at concurrency 10", Targets.PROCESSOR_HEAP_LIMIT_BYTES));
        }
        return xmx(s.settings().getOrDefault("ext_proc_server_jvm", "")).map(b -> new Level("limit: -Xmx", b));
      }
      default -> {
        return Optional.empty();
      }
    }
  }

  private static final Pattern XMX = Pattern.compile("-Xmx(\\d+)([kKmMgG]?)");

  /** Returns the bytes of the last {@code -Xmx} in JVM options, if any. */
  static Optional<Long> xmx(String jvmOptions) {
    Matcher m = XMX.matcher(jvmOptions);
    Long bytes = null;
    while (m.find()) {
      long n = Long.parseLong(m.group(1));
      bytes = switch (m.group(2).toLowerCase(java.util.Locale.ROOT)) {
        case "k" -> n << 10;
        case "m" -> n << 20;
        case "g" -> n << 30;
        default -> n;
      };
    }
    return Optional.ofNullable(bytes);
  }

  private static boolean addSeries(XYChart chart, MemoryRecording recording, Metric metric, String name, Color color,
      boolean thin) {
    List<MemoryRecording.Sample> samples = recording.series(metric);
    if (samples.isEmpty()) {
      return false;
    }
    double[] x = new double[samples.size()];
    double[] y = new double[samples.size()];
    for (int i = 0; i < samples.size(); i++) {
      x[i] = samples.get(i).elapsedMillis() / 1000.0;
      y[i] = samples.get(i).value() / MIB;
    }
    XYSeries line = chart.addSeries(name, x, y);
    line.setMarker(SeriesMarkers.NONE);
    line.setLineColor(color);
    if (thin) {
      line.setLineStyle(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {2f, 3f}, 0f));
    }
    return true;
  }

  private static void addLevel(XYChart chart, String label, double mib, double maxX) {
    XYSeries line = chart.addSeries(String.format(java.util.Locale.ROOT, "%s (%.0f MiB)", label, mib),
        new double[] {0, maxX}, new double[] {mib, mib});
    line.setMarker(SeriesMarkers.NONE);
    line.setLineColor(REFERENCE);
    line.setLineStyle(SeriesLines.DASH_DASH);
  }
}
