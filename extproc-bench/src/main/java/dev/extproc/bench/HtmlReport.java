package dev.extproc.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Renders {@code report.html}: one self-contained page a person opens from the run directory. The
 * charts are inline ({@code data:} URIs), so the page shows them wherever it is copied; the route
 * tables, the targets, the run's settings and the reading notes are those of {@code report.md};
 * profiles and recordings are relative links into the run directory. No script, no external
 * resource.
 */
final class HtmlReport {

  private static final String STYLE = """
      body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1100px;
        padding:0 1em;color:#222}
      h1,h2{font-weight:600}h2{margin-top:2em;border-bottom:1px solid #ddd}
      table{border-collapse:collapse;margin:1em 0;font-variant-numeric:tabular-nums}
      th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f3f3f3}
      td:first-child,th:first-child{text-align:left}
      .no{color:#b00020;font-weight:600}.yes{color:#1b6e20}
      figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #eee}
      figcaption{color:#555;font-size:90%}dt{font-family:monospace}dd{margin:0 0 .5em 1.5em}
      code{background:#f5f5f5;padding:0 .2em}""";

  private HtmlReport() {}

  /** Returns the page; chart files named in the report are read from {@code dir} and inlined. */
  static String render(BenchReport report, Path dir) throws IOException {
    StringBuilder h = new StringBuilder(64 * 1024);
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>extproc bench report ").append(esc(report.startedAt())).append("</title>\n")
        .append("<style>").append(STYLE).append("</style></head>\n<body>\n");
    h.append("<h1>extproc bench report</h1>\n");
    h.append("<p>Started ").append(esc(report.startedAt())).append(", finished ").append(esc(report.finishedAt()))
        .append(". Command: <code>").append(esc(report.command())).append("</code></p>\n");
    h.append("<p>Overall: ").append(report.allVerified()
        ? "<span class=\"yes\">every response verified</span>" : "<span class=\"no\">SOME RESPONSES FAILED</span>")
        .append("</p>\n");
    h.append("<h2>Machine</h2>\n");
    keyValues(h, report.machine());
    for (ScenarioReport s : report.scenarios()) {
      scenario(h, s, dir);
    }
    h.append("<h2>Reading the report</h2>\n<ul>\n");
    ReportTables.READING_NOTES.forEach(note -> h.append("<li>").append(esc(note)).append("</li>\n"));
    h.append("</ul>\n<h2>Definitions</h2>\n<dl>\n");
    report.definitions().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
        h.append("<dt>").append(esc(e.getKey())).append("</dt><dd>").append(esc(e.getValue())).append("</dd>\n"));
    h.append("</dl>\n</body></html>\n");
    return h.toString();
  }

  private static void scenario(StringBuilder h, ScenarioReport s, Path dir) throws IOException {
    String id = s.key();
    h.append("<h2 id=\"").append(esc(id)).append("\">").append(esc(s.scenario()))
        .append(s.variant().isEmpty() ? "" : " (" + esc(s.variant()) + ")").append("</h2>\n");
    h.append("<p>").append(esc(s.description())).append("</p>\n");
    h.append("<table class=\"routes\"><tr>");
    List<String> header = ReportTables.header(s);
    header.forEach(cell -> h.append("<th>").append(esc(cell)).append("</th>"));
    h.append("</tr>\n");
    for (List<String> row : ReportTables.rows(s)) {
      h.append("<tr>");
      if (row.size() == 2) {
        h.append("<td>").append(esc(row.get(0))).append("</td><td colspan=\"").append(header.size() - 1)
            .append("\" style=\"text-align:left\">").append(esc(row.get(1))).append("</td>");
      } else {
        for (int i = 0; i < row.size(); i++) {
          String cell = row.get(i);
          boolean failed = i == row.size() - 1 && cell.startsWith("NO");
          h.append(failed ? "<td class=\"no\">" : "<td>").append(esc(cell)).append("</td>");
        }
      }
      h.append("</tr>\n");
    }
    h.append("</table>\n");
    h.append("<p>").append(esc(ReportWriter.liveHeapNote(s))).append("</p>\n");
    List<String> problems = new ArrayList<>();
    for (RouteReport r : s.routes()) {
      if (r.ran() && !r.errors().isEmpty()) {
        problems.add(r.route() + ": " + String.join("; ", r.errors()));
      }
    }
    if (!problems.isEmpty()) {
      h.append("<ul class=\"problems\">\n");
      problems.forEach(p -> h.append("<li class=\"no\">").append(esc(p)).append("</li>\n"));
      h.append("</ul>\n");
    }
    if (!s.targets().isEmpty()) {
      h.append("<h3>Targets</h3>\n<table class=\"targets\"><tr><th>target</th><th>met</th><th>detail</th></tr>\n");
      for (TargetVerdict t : s.targets()) {
        String css = t.met() == null ? "" : t.met() ? " class=\"yes\"" : " class=\"no\"";
        h.append("<tr><td>").append(esc(t.target())).append("</td><td").append(css).append(">").append(esc(t.verdict()))
            .append("</td><td style=\"text-align:left\">").append(esc(t.detail())).append("</td></tr>\n");
      }
      h.append("</table>\n");
    }
    if (!s.settings().isEmpty()) {
      h.append("<h3>Settings</h3>\n");
      keyValues(h, s.settings());
    }
    for (String chart : s.charts()) {
      byte[] png = Files.readAllBytes(dir.resolve(chart));
      h.append("<figure><img class=\"chart\" alt=\"").append(esc(chart)).append("\" src=\"data:image/png;base64,")
          .append(Base64.getEncoder().encodeToString(png)).append("\"><figcaption>").append(esc(chart))
          .append("</figcaption></figure>\n");
    }
    List<String> artifacts = new ArrayList<>();
    s.routes().forEach(r -> artifacts.addAll(r.artifacts()));
    if (!artifacts.isEmpty()) {
      h.append("<h3>Profiles and recordings</h3>\n<ul>\n");
      artifacts.forEach(a -> h.append("<li><a href=\"").append(esc(a)).append("\">").append(esc(a)).append("</a></li>\n"));
      h.append("</ul>\n");
    }
  }

  private static void keyValues(StringBuilder h, Map<String, String> values) {
    h.append("<table class=\"settings\">\n");
    values.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
        h.append("<tr><td>").append(esc(e.getKey())).append("</td><td style=\"text-align:left\">")
            .append(esc(e.getValue())).append("</td></tr>\n"));
    h.append("</table>\n");
  }

  /** Escapes text for HTML content and attribute values. */
  static String esc(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
