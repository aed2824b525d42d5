package dev.extproc.server;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4 (as documented by Prometheus,
 * "Exposition formats"): HELP and TYPE lines, then samples {@code name{label="value",...} value}.
 * Throws on anything the format does not allow: a sample of no declared family, a TYPE after its
 * samples, a duplicate TYPE, an unknown type, a bad name, label or value.
 */
final class PrometheusText {
  private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern SAMPLE = Pattern.compile(
      "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)( -?\\d+)?");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"");
  private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

  record Sample(String name, Map<String, String> labels, double value) {}

  record Family(String name, String type, String help, List<Sample> samples) {}

  private PrometheusText() {}

  static Map<String, Family> parse(String text) {
    Map<String, Family> families = new LinkedHashMap<>();
    Map<String, String> help = new LinkedHashMap<>();
    int lineNumber = 0;
    for (String line : text.split("\n", -1)) {
      lineNumber++;
      if (line.isEmpty()) {
        continue;
      }
      String where = "line " + lineNumber + ": " + line;
      if (line.startsWith("# HELP ")) {
        String[] parts = line.substring(7).split(" ", 2);
        requireName(parts[0], where);
        if (help.put(parts[0], parts.length > 1 ? parts[1] : "") != null) {
          throw new IllegalArgumentException("duplicate HELP, " + where);
        }
      } else if (line.startsWith("# TYPE ")) {
        String[] parts = line.substring(7).split(" ");
        if (parts.length != 2 || !TYPES.contains(parts[1])) {
          throw new IllegalArgumentException("bad TYPE, " + where);
        }
        requireName(parts[0], where);
        if (families.containsKey(parts[0])) {
          throw new IllegalArgumentException("duplicate TYPE, " + where);
        }
        families.put(parts[0], new Family(parts[0], parts[1], help.getOrDefault(parts[0], null), new java.util.ArrayList<>()));
      } else if (line.startsWith("#")) {
        continue; // a comment
      } else {
        Matcher m = SAMPLE.matcher(line);
        if (!m.matches()) {
          throw new IllegalArgumentException("bad sample, " + where);
        }
        Family family = familyOf(families, m.group(1));
        if (family == null) {
          throw new IllegalArgumentException("sample of no declared family, " + where);
        }
        Map<String, String> labels = labels(m.group(3), where);
        families.put(family.name(), new Family(family.name(), family.type(),
            family.help() != null ? family.help() : help.get(family.name()), family.samples()));
        family.samples().add(new Sample(m.group(1), labels, value(m.group(4), where)));
      }
    }
    return families;
  }

  private static Family familyOf(Map<String, Family> families, String sample) {
    Family exact = families.get(sample);
    if (exact != null && !exact.type().equals("histogram") && !exact.type().equals("summary")) {
      return exact;
    }
    for (String suffix : List.of("_bucket", "_count", "_sum", "_created", "_total")) {
      if (sample.endsWith(suffix)) {
        Family family = families.get(sample.substring(0, sample.length() - suffix.length()));
        if (family != null) {
          return family;
        }
      }
    }
    return exact;
  }

  private static Map<String, String> labels(String text, String where) {
    Map<String, String> labels = new TreeMap<>();
    if (text == null || text.isEmpty()) {
      return labels;
    }
    Matcher m = LABEL.matcher(text);
    int at = 0;
    while (at < text.length()) {
      if (!m.find(at) || m.start() != at) {
        throw new IllegalArgumentException("bad labels, " + where);
      }
      if (labels.put(m.group(1), m.group(2)) != null) {
        throw new IllegalArgumentException("duplicate label, " + where);
      }
      at = m.end();
      if (at < text.length()) {
        if (text.charAt(at) != ',') {
          throw new IllegalArgumentException("bad labels, " + where);
        }
        at++;
      }
    }
    return labels;
  }

  private static double value(String text, String where) {
    switch (text) {
      case "+Inf": return Double.POSITIVE_INFINITY;
      case "-Inf": return Double.NEGATIVE_INFINITY;
      case "NaN": return Double.NaN;
      default:
        try {
          return Double.parseDouble(text);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("bad value, " + where);
        }
    }
  }

  private static void requireName(String name, String where) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("bad metric name, " + where);
    }
  }
}
