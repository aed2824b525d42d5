package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a run directory: {@code report.json}, {@code report.md}, {@code report.html} (self-contained,
 * for a browser), {@code timeseries.csv} and one PNG chart
 * per scenario run and metric ({@code <scenario>-<variant>-envoy-rss.png}, ...), one line per route.
 */
public final class ReportWriter {

  private final ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * Draws the charts of each scenario run into {@code dir} and returns the report with the chart file names
   * filled in.
   */
  public BenchReport drawCharts(Path dir, BenchReport report) throws IOException {
    List<ScenarioReport> scenarios = new ArrayList<>();
    for (ScenarioReport s : report.scenarios()) {
      List<String> charts = new ArrayList<>();
      for (Charts.Kind kind : Charts.Kind.values()) {
        String file = Charts.fileName(s, kind);
        if (Charts.draw(dir.resolve(file), s, kind)) {
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
    Files.writeString(dir.resolve("report.html"), HtmlReport.render(withCharts, dir), StandardCharsets.UTF_8);
    writeCsv(dir.resolve("timeseries.csv"), withCharts);
    return withCharts;
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
      List<String> header = ReportTables.header(s);
      md.append("| ").append(String.join(" | ", header)).append(" |\n");
      md.append("|---|").append("---:|".repeat(header.size() - 2)).append("---|\n");
      for (List<String> row : ReportTables.rows(s)) {
        if (row.size() == 2) {
          md.append("| ").append(row.get(0)).append(" | ").append(row.get(1)).append(" |")
              .append("|".repeat(header.size() - 2)).append('\n');
        } else {
          md.append("| ").append(String.join(" | ", row.subList(0, row.size() - 1))).append(" | ")
              .append(row.get(row.size() - 1).startsWith("NO") ? "**" + row.get(row.size() - 1).replaceFirst(" ", "** ")
                  : row.get(row.size() - 1))
              .append(" |\n");
        }
      }
      md.append('\n');
      md.append(liveHeapNote(s)).append("\n\n");
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
    md.append("## Reading the report\n\n");
    ReportTables.READING_NOTES.forEach(note -> md.append("- ").append(note).append('\n'));
    md.append("\nThe same report with its charts inline: [report.html](report.html).\n\n");
    md.append("## Definitions\n\n");
    report.definitions().entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> md.append("- `").append(e.getKey()).append("`: ").append(e.getValue()).append('\n'));
    return md.toString();
  }

  /**
   * Returns the sentence on the ext_proc server's peak live heap (after GC, from its JFR recording), which
   * exists only when the server recorded JFR ({@code --profile}).
   */
  static String liveHeapNote(ScenarioReport s) {
    List<String> figures = new ArrayList<>();
    for (RouteReport r : s.routes()) {
      if (r.ran() && r.peakProcessorLiveHeapBytes() != null) {
        figures.add(r.route() + " " + Format.mib(r.peakProcessorLiveHeapBytes()));
      }
    }
    return figures.isEmpty()
        ? "Processor peak heap after GC (JFR): not recorded; the server records JFR only with --profile."
        : "Processor peak heap after GC (JFR): " + String.join(", ", figures) + ".";
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

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
