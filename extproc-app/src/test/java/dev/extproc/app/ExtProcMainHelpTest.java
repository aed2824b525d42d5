package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExtProcMainHelpTest {

  /** Returns each subcommand's summary as {@code extproc --help} lists it (continuation lines joined). */
  private static Map<String, String> commandSummaries() {
    String help = ExtProcMain.newCommandLine().getUsageMessage(picocli.CommandLine.Help.Ansi.OFF);
    String commands = help.substring(help.indexOf("Commands:") + "Commands:".length());
    Map<String, String> summaries = new LinkedHashMap<>();
    String current = null;
    for (String line : commands.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      if (line.startsWith("  ") && !line.startsWith("    ")) {
        String[] parts = line.strip().split("\\s+", 2);
        current = parts[0];
        summaries.put(current, parts.length > 1 ? parts[1] : "");
      } else if (current != null) {
        summaries.merge(current, line.strip(), (a, b) -> a + " " + b);
      }
    }
    return summaries;
  }

  @Test
  void help_listsEverySubcommandWithAWholeSummary() {
    Map<String, String> summaries = commandSummaries();

    assertThat(summaries).containsOnlyKeys("server", "echo", "demo", "up", "bench", "media", "llm-stub", "fuzz", "help");
    assertThat(summaries).allSatisfy((name, summary) ->
        assertThat(summary).as("summary of %s", name).endsWith("."));
    assertThat(summaries.get("echo")).endsWith("GET /healthz answers ok.");
    assertThat(summaries.get("media")).endsWith("Prints path, size and SHA-256 of each.");
  }
}
