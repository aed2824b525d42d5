package dev.extproc.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens the bench's report.html in a real headless Chromium (Debian's package, found or installed
 * by scripts/install-chromium.sh) and checks that it loads without errors and shows every chart.
 */
@Timeout(300)
class HtmlReportBrowserTest {

  /**
   * Put into a copy of the page's head: records script errors and failed resource loads, and on load
   * writes what the browser rendered (images, their natural sizes) into an attribute --dump-dom shows.
   */
  private static final String PROBE = """
      <script>
      window.probeErrors = [];
      window.addEventListener('error', e => probeErrors.push(e.target && e.target.tagName
          ? 'failed to load ' + e.target.tagName + ' ' + (e.target.alt || '') : String(e.message)), true);
      window.addEventListener('load', () => {
        const images = Array.from(document.images);
        document.documentElement.setAttribute('data-probe', JSON.stringify({
          images: images.length,
          rendered: images.filter(i => i.complete && i.naturalWidth > 0).map(i => i.alt),
          widths: images.map(i => i.naturalWidth),
          tables: document.querySelectorAll('table').length,
          errors: probeErrors}));
      });
      </script>
      """;

  @TempDir Path dir;

  @Test
  void reportHtml_loadsWithoutErrors_andShowsEveryChart() throws Exception {
    ScenarioReport seed = ReportWriterTest.seed(140L << 20);
    BenchReport written = new ReportWriter().write(dir, new BenchReport("2026-11-27T10:00:00Z", "2026-11-27T10:05:00Z",
        "extproc bench --scenario seed", Map.of("cores", "2"), BenchReport.DEFINITIONS, List.of(seed)));
    List<String> charts = written.scenarios().get(0).charts();
    String html = Files.readString(dir.resolve("report.html"));
    assertThat(charts).hasSize(3);
    assertThat(html).as("self-contained: no external resource")
        .doesNotContainPattern("(src|href)=\"(https?:)?//")
        .contains("data:image/png;base64,");
    Path probe = dir.resolve("probe.html");
    Files.writeString(probe, html.replaceFirst("<head>", "<head>" + Matcher.quoteReplacement(PROBE)));

    JsonNode rendered = render(probe);

    assertThat(rendered.get("errors")).as("load errors in %s", rendered).isEmpty();
    assertThat(rendered.get("images").asInt()).isEqualTo(charts.size());
    assertThat(rendered.get("rendered")).extracting(JsonNode::asText).containsExactlyElementsOf(charts);
    assertThat(rendered.get("widths")).extracting(JsonNode::asInt).containsOnly(Charts.WIDTH);
    assertThat(rendered.get("tables").asInt()).as("machine, routes, targets, settings").isEqualTo(4);
  }

  /** Loads {@code page} in headless Chromium and returns the probe's findings. */
  private JsonNode render(Path page) throws IOException, InterruptedException {
    Path out = dir.resolve("chromium.out");
    Path err = dir.resolve("chromium.err");
    List<String> command = new ArrayList<>(List.of(chromium(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + dir.resolve("profile"),
        "--virtual-time-budget=10000", "--dump-dom", page.toUri().toString()));
    Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    try {
      boolean ended = process.waitFor(120, TimeUnit.SECONDS);
      assertThat(ended).as("Chromium rendered the page within 120 s; stderr: %s", tail(err)).isTrue();
      assertThat(process.exitValue()).as("Chromium's exit code; stderr: %s", tail(err)).isZero();
    } finally {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
    String dom = Files.readString(out, StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("data-probe=\"([^\"]*)\"").matcher(dom);
    assertThat(m.find()).as("the page's load event ran; DOM starts: %s; stderr: %s",
        dom.substring(0, Math.min(300, dom.length())), tail(err)).isTrue();
    String json = m.group(1).replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    return new ObjectMapper().readTree(json);
  }

  private static String tail(Path file) throws IOException {
    if (!Files.exists(file)) {
      return "";
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
  }

  /**
   * Returns the Chromium to use: $EXTPROC_CHROMIUM (scripts/test.sh sets it), else what
   * scripts/install-chromium.sh finds or installs. Fails with the script's message, never skips.
   */
  private static String chromium() throws IOException, InterruptedException {
    String fromEnv = System.getenv("EXTPROC_CHROMIUM");
    if (fromEnv != null && !fromEnv.isBlank()) {
      return fromEnv;
    }
    Path script = projectRoot().resolve("scripts/install-chromium.sh");
    Process install = new ProcessBuilder(script.toString()).redirectErrorStream(false)
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String path = new String(install.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    boolean ended = install.waitFor(10, TimeUnit.MINUTES);
    if (!ended) {
      install.destroyForcibly();
    }
    assertThat(ended && install.exitValue() == 0)
        .as("%s could not find or install Chromium (its message is above); install Debian's chromium package or set"
            + " EXTPROC_CHROMIUM", script)
        .isTrue();
    return path;
  }

  private static Path projectRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("scripts/install-chromium.sh"))) {
        return p;
      }
    }
    throw new AssertionError("no scripts/install-chromium.sh above " + Path.of("").toAbsolutePath());
  }
}
