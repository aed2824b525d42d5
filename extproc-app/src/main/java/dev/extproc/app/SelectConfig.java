package dev.extproc.app;

import dev.extproc.ExtProcConfig;
import dev.extproc.HttpHeaders;
import dev.extproc.ProcessorFactory;
import dev.extproc.app.ProcessorOptions.ProcessorSetup;
import dev.extproc.transforms.SelectingProcessorFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import picocli.CommandLine;

/**
 * The {@code --select-config FILE} of {@code extproc server}: one processor chain per kind of
 * exchange. One rule per line, the first match wins; {@code #} starts a comment:
 *
 * <pre>
 * path=/streamed/redact                              --processor redact --redact-rules card,email
 * path=/api content-type=application/json            --processor json-mask --json-mask-fields password
 * host=upload.example.com                            --processor limit --max-request-body 10MiB
 * </pre>
 *
 * <p>Conditions (all must hold): {@code path=PREFIX}, {@code host=NAME}, {@code
 * content-type=TYPE} (a trailing {@code *} matches a prefix), {@code content-encoding=CODING},
 * or {@code *} for every exchange. The rest of the line is the processor options of {@code extproc
 * server}. Exchanges no rule matches get the {@code --processor} chain (pass-through by default).
 */
final class SelectConfig {
  private SelectConfig() {}

  /**
   * Reads {@code file} and returns the selecting setup, with {@code fallback} for unmatched
   * exchanges.
   *
   * @throws IllegalArgumentException naming the file, line and problem
   */
  static ProcessorSetup read(Path file, ProcessorSetup fallback, ExtProcConfig config) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      closeAll(List.of(fallback.resources()));
      throw new IllegalArgumentException("--select-config: " + file + " (expected: a readable file): " + e.getMessage(), e);
    }
    List<SelectingProcessorFactory.Rule> rules = new ArrayList<>();
    List<AutoCloseable> resources = new ArrayList<>();
    Map<String, LongSupplier> gauges = new LinkedHashMap<>(fallback.gauges());
    Map<String, LongSupplier> counters = new LinkedHashMap<>(fallback.counters());
    resources.add(fallback.resources());
    try {
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).replaceAll("#.*", "").trim();
        if (line.isEmpty()) {
          continue;
        }
        String where = "--select-config: " + file + " line " + (i + 1) + ": ";
        List<String> tokens = Arrays.asList(line.split("\\s+"));
        int firstOption = 0;
        while (firstOption < tokens.size() && !tokens.get(firstOption).startsWith("--")) {
          firstOption++;
        }
        if (firstOption == 0 || firstOption == tokens.size()) {
          throw new IllegalArgumentException(where + line
              + " (expected: CONDITION... --processor NAME [options], e.g. path=/api --processor redact)");
        }
        Predicate<HttpHeaders> when = headers -> true;
        for (String condition : tokens.subList(0, firstOption)) {
          when = when.and(condition(where, condition));
        }
        ProcessorOptions options = new ProcessorOptions();
        ProcessorSetup setup;
        try {
          new CommandLine(options).parseArgs(tokens.subList(firstOption, tokens.size()).toArray(String[]::new));
          setup = options.toSetup(config);
        } catch (CommandLine.ParameterException | IllegalArgumentException e) {
          throw new IllegalArgumentException(where + e.getMessage(), e);
        }
        resources.add(setup.resources());
        gauges.putAll(setup.gauges());
        counters.putAll(setup.counters());
        rules.add(new SelectingProcessorFactory.Rule(String.join(" ", tokens.subList(0, firstOption)), when, setup.factory()));
      }
    } catch (RuntimeException e) {
      closeAll(resources);
      throw e;
    }
    ProcessorFactory factory = new SelectingProcessorFactory(rules, fallback.factory());
    return new ProcessorSetup(factory, Map.copyOf(gauges), Map.copyOf(counters), () -> closeAll(resources));
  }

  private static Predicate<HttpHeaders> condition(String where, String condition) {
    if (condition.equals("*")) {
      return headers -> true;
    }
    int eq = condition.indexOf('=');
    String key = eq < 0 ? condition : condition.substring(0, eq);
    String value = eq < 0 ? "" : condition.substring(eq + 1);
    if (value.isEmpty()) {
      throw new IllegalArgumentException(where + condition + " (expected: path=, host=, content-type=, content-encoding= or *)");
    }
    switch (key) {
      case "path":
        return SelectingProcessorFactory.pathPrefix(value);
      case "host":
        return SelectingProcessorFactory.host(value);
      case "content-type":
        return SelectingProcessorFactory.contentType(value);
      case "content-encoding":
        return SelectingProcessorFactory.contentEncoding(value);
      default:
        throw new IllegalArgumentException(where + condition + " (expected: path=, host=, content-type=, content-encoding= or *)");
    }
  }

  private static void closeAll(List<AutoCloseable> resources) {
    for (AutoCloseable resource : resources) {
      try {
        resource.close();
      } catch (Exception e) {
        // closing the rest matters more
      }
    }
  }
}
