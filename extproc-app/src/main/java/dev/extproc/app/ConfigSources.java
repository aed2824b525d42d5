package dev.extproc.app;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Layers the {@code server} options: a flag given on the command line wins over {@code
 * EXTPROC_<OPTION>} in the environment, which wins over the key {@code <option>} of the YAML
 * {@code --config} file (or {@code EXTPROC_CONFIG}), which wins over the option's default. Option
 * names map to keys by dropping the dashes in front ({@code --tls-cert} → {@code tls-cert}) and to
 * environment variables by upper-casing and turning dashes into underscores ({@code
 * EXTPROC_TLS_CERT}).
 *
 * <p>Each value from the environment or the file is parsed by the option's own converter, so one
 * syntax holds everywhere; a bad one is reported naming its source. Unknown file keys are errors;
 * unknown {@code EXTPROC_*} variables are ignored (other tools use the prefix too).
 */
final class ConfigSources {
  private static final Set<String> META = Set.of("help", "version", "config", "print-config");

  /** The command with every layer applied, and the effective configuration as YAML for --print-config. */
  record Resolved(ServerCommand command, String printable) {}

  private ConfigSources() {}

  /**
   * Resolves the layers for the command parsed in {@code spec}.
   *
   * @throws IllegalArgumentException a one-line message naming the source, option, value and rule
   */
  static Resolved resolve(CommandSpec spec, Map<String, String> env) {
    ParseResult cli = spec.commandLine().getParseResult();
    Path file = configFile(cli, env);
    Map<String, String> fileValues = file == null ? Map.of() : readFile(file, knownKeys(spec));
    Map<String, String> sources = new LinkedHashMap<>();
    List<String> layered = new ArrayList<>();
    for (OptionSpec option : spec.options()) {
      String key = key(option);
      if (META.contains(key)) {
        continue;
      }
      String envName = envName(key);
      if (cli.hasMatchedOption(option)) {
        sources.put(key, "flag");
      } else if (env.containsKey(envName)) {
        layered.addAll(checked(option, env.get(envName), envName + "=" + env.get(envName)));
        sources.put(key, "environment " + envName);
      } else if (fileValues.containsKey(key)) {
        layered.addAll(checked(option, fileValues.get(key), "config " + file + ": " + key + ": " + fileValues.get(key)));
        sources.put(key, "file " + file);
      } else {
        sources.put(key, "default");
      }
    }
    List<String> all = new ArrayList<>(layered);
    all.addAll(ownArgs(spec, cli));
    ServerCommand effective = new ServerCommand();
    CommandLine line = newLine(effective);
    try {
      line.parseArgs(all.toArray(String[]::new));
    } catch (ParameterException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
    effective.spec = line.getCommandSpec();
    effective.spec.commandLine().setOut(spec.commandLine().getOut()).setErr(spec.commandLine().getErr());
    return new Resolved(effective, printable(line.getCommandSpec(), sources));
  }

  /** Returns the arguments after this (sub)command's name: {@code extproc server --port 1} gives {@code --port 1}. */
  private static List<String> ownArgs(CommandSpec spec, ParseResult cli) {
    List<String> args = cli.originalArgs();
    if (spec.parent() == null) {
      return args;
    }
    int at = args.indexOf(spec.name());
    return at < 0 ? args : args.subList(at + 1, args.size());
  }

  private static CommandLine newLine(ServerCommand command) {
    return new CommandLine(command).setOverwrittenOptionsAllowed(true).setCaseInsensitiveEnumValuesAllowed(true);
  }

  /** Returns the flag arguments that set {@code option} to {@code value}, after checking they parse alone. */
  private static List<String> checked(OptionSpec option, String value, String where) {
    String flag = option.longestName();
    List<String> args;
    if (option.arity().max() == 0) {
      String lower = value.trim().toLowerCase(Locale.ROOT);
      if (!lower.equals("true") && !lower.equals("false")) {
        throw new IllegalArgumentException(where + " (expected: true or false for " + flag + ")");
      }
      args = lower.equals("true") ? List.of(flag) : List.of();
    } else {
      args = List.of(flag + "=" + value);
    }
    try {
      newLine(new ServerCommand()).parseArgs(args.toArray(String[]::new));
    } catch (ParameterException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage());
    }
    return args;
  }

  private static Path configFile(ParseResult cli, Map<String, String> env) {
    if (cli.hasMatchedOption("--config")) {
      return cli.matchedOptionValue("--config", (Path) null);
    }
    String fromEnv = env.get("EXTPROC_CONFIG");
    return fromEnv == null || fromEnv.isBlank() ? null : Path.of(fromEnv);
  }

  private static Map<String, String> readFile(Path file, Set<String> known) {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new IllegalArgumentException("--config: " + file + ": " + (Files.exists(file) ? "not readable" : "no such file")
          + " (expected: a readable YAML file)");
    }
    Object document;
    try (Reader reader = Files.newBufferedReader(file)) {
      document = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
    } catch (IOException | YAMLException e) {
      throw new IllegalArgumentException("--config: " + file + ": not YAML (" + e.getMessage().replace('\n', ' ')
          + "; expected: a YAML mapping of option: value)");
    }
    if (document == null) {
      return Map.of();
    }
    if (!(document instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException("--config: " + file + ": not a mapping (expected: a YAML mapping of option: value)");
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      String key = String.valueOf(entry.getKey());
      if (!known.contains(key)) {
        throw new IllegalArgumentException("config " + file + ": unknown key '" + key + "' (expected one of: "
            + String.join(", ", known) + ")");
      }
      Object value = entry.getValue();
      if (value instanceof List<?> list) {
        values.put(key, String.join(",", list.stream().map(String::valueOf).toList()));
      } else if (value instanceof Map<?, ?> || value == null) {
        throw new IllegalArgumentException("config " + file + ": " + key + ": " + value
            + " (expected: a single value or a list)");
      } else {
        values.put(key, String.valueOf(value));
      }
    }
    return values;
  }

  private static Set<String> knownKeys(CommandSpec spec) {
    Set<String> keys = new TreeSet<>();
    for (OptionSpec option : spec.options()) {
      if (!META.contains(key(option))) {
        keys.add(key(option));
      }
    }
    return keys;
  }

  static String key(OptionSpec option) {
    return option.longestName().replaceFirst("^-+", "");
  }

  static String envName(String key) {
    return "EXTPROC_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  private static String printable(CommandSpec spec, Map<String, String> sources) {
    StringBuilder yaml = new StringBuilder("# effective configuration of extproc server (flag > environment > file > default)\n");
    for (OptionSpec option : spec.options()) {
      String key = key(option);
      if (META.contains(key)) {
        continue;
      }
      String value;
      if (option.arity().max() == 0) {
        value = String.valueOf((Object) option.getValue());
      } else if (!option.stringValues().isEmpty()) {
        value = String.join(",", option.stringValues());
      } else {
        value = option.defaultValue();
      }
      String source = sources.getOrDefault(key, "default");
      if (value == null) {
        yaml.append("# ").append(key).append(": (not set)\n");
      } else {
        yaml.append(key).append(": \"").append(value.replace("\\", "\\\\").replace("\"", "\\\""))
            .append("\"  # ").append(source).append('\n');
      }
    }
    return yaml.toString();
  }
}
