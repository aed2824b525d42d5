package dev.extproc.app;

import dev.extproc.ExtProcConfig;
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
import picocli.CommandLine;

/**
 * The {@code --select-config FILE} of {@code extproc server}: one processor chain per kind of
 * exchange. One rule per line, the first match wins; {@code #} starts a comment:
 *
 * <pre>
 * route=payments                                     --processor redact --redact-rules card,iban
 * path=/streamed/redact                              --processor redact --redact-rules card,email
 * path=/api content-type=application/json            --processor json-mask --json-mask-fields password
 * host=upload.example.com                            --processor limit --max-request-body 10MiB
 * </pre>
 *
 * <p>Conditions (all must hold): {@code route=NAME} (Envoy's route name, sent when the filter's
 * {@code request_attributes} lists {@code xds.route_name}), {@code metadata=NAMESPACE:KEY=VALUE}
 * (a string in the forwarded {@code metadata_context}), {@code attribute=NAME=VALUE} (any other
 * request attribute, a string), {@code path=PREFIX}, {@code host=NAME}, {@code
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
        SelectingProcessorFactory.Condition when = (exchange, headers) -> true;
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

  private static final String EXPECTED_CONDITIONS =
      " (expected: route=, metadata=, attribute=, path=, host=, content-type=, content-encoding= or *)";

  private static SelectingProcessorFactory.Condition condition(String where, String condition) {
    if (condition.equals("*")) {
      return (exchange, headers) -> true;
    }
    int eq = condition.indexOf('=');
    String key = eq < 0 ? condition : condition.substring(0, eq);
    String value = eq < 0 ? "" : condition.substring(eq + 1);
    if (value.isEmpty()) {
      throw new IllegalArgumentException(where + condition + EXPECTED_CONDITIONS);
    }
    switch (key) {
      case "route":
        return SelectingProcessorFactory.route(value);
      case "metadata":
        return metadata(where, condition, value);
      case "attribute":
        return attribute(where, condition, value);
      case "path":
        return SelectingProcessorFactory.pathPrefix(value);
      case "host":
        return SelectingProcessorFactory.host(value);
      case "content-type":
        return SelectingProcessorFactory.contentType(value);
      case "content-encoding":
        return SelectingProcessorFactory.contentEncoding(value);
      default:
        throw new IllegalArgumentException(where + condition + EXPECTED_CONDITIONS);
    }
  }

  /** {@code attribute=NAME=VALUE}; the name (a CEL expression) may contain '=', the value may not. */
  private static SelectingProcessorFactory.Condition attribute(String where, String condition, String value) {
    int eq = value.lastIndexOf('=');
    if (eq <= 0 || eq == value.length() - 1) {
      throw new IllegalArgumentException(where + condition
          + " (expected: attribute=NAME=VALUE, e.g. attribute=xds.cluster_name=payments)");
    }
    return SelectingProcessorFactory.attribute(value.substring(0, eq), value.substring(eq + 1));
  }

  /** {@code metadata=NAMESPACE:KEY=VALUE}; the namespace may contain dots, not colons. */
  private static SelectingProcessorFactory.Condition metadata(String where, String condition, String value) {
    int colon = value.indexOf(':');
    int eq = value.indexOf('=', colon + 1);
    if (colon <= 0 || eq <= colon + 1 || eq == value.length() - 1) {
      throw new IllegalArgumentException(where + condition
          + " (expected: metadata=NAMESPACE:KEY=VALUE, e.g. metadata=policy:chain=payments)");
    }
    return SelectingProcessorFactory.metadata(value.substring(0, colon), value.substring(colon + 1, eq),
        value.substring(eq + 1));
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
