package dev.extproc.app;

import dev.extproc.ProcessorFactory;
import dev.extproc.transforms.DecodeLimits;
import dev.extproc.transforms.JsonMaskProcessorFactory;
import dev.extproc.transforms.JsonMaskRule;
import dev.extproc.transforms.LimitProcessorFactory;
import dev.extproc.transforms.RedactProcessorFactory;
import dev.extproc.transforms.RedactRule;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * The options of the streaming transforms in {@code --processor} ({@code redact}, {@code
 * json-mask}, {@code limit}; see {@code docs/transforms.md}), turned into their factories.
 */
final class TransformOptions {
  /** The environment variable holding the key of the redact rules' {@code hash} action. */
  static final String HASH_KEY_ENV = "EXTPROC_REDACT_HASH_KEY";

  @Option(
      names = "--redact-rules",
      paramLabel = "LIST",
      description = "redact: rules KIND[:ACTION], comma-separated; KIND card, email, iban, api-key or /REGEX/ (bounded"
          + " length); ACTION mask, keep-last-N or hash (key from $" + HASH_KEY_ENV + ", else random per process)"
          + " (default: card:keep-last-4).")
  String redactRules;

  @Option(
      names = "--json-mask-fields",
      paramLabel = "LIST",
      description = "json-mask: fields NAME or /JSON/POINTER, each with :mask (default, value becomes \"***\") or :drop,"
          + " comma-separated, e.g. password,/user/ssn,token:drop.")
  String jsonMaskFields;

  @Option(
      names = "--max-request-body",
      paramLabel = "SIZE",
      description = "limit: largest request body, e.g. 10MiB (413 beyond it).")
  String maxRequestBody;

  @Option(
      names = "--max-response-body",
      paramLabel = "SIZE",
      description = "limit: largest response body, e.g. 100MiB (502, or a reset stream, beyond it).")
  String maxResponseBody;

  /** Throws naming the option when one is given without its processor in {@code --processor}. */
  void requireUsed(Set<String> used) {
    requireWith(used, "redact", "--redact-rules", redactRules);
    requireWith(used, "json-mask", "--json-mask-fields", jsonMaskFields);
    requireWith(used, "limit", "--max-request-body", maxRequestBody);
    requireWith(used, "limit", "--max-response-body", maxResponseBody);
    if (used.contains("json-mask") && jsonMaskFields == null) {
      throw new IllegalArgumentException("--processor json-mask needs --json-mask-fields LIST (e.g. password,/user/ssn)");
    }
    if (used.contains("limit") && maxRequestBody == null && maxResponseBody == null) {
      throw new IllegalArgumentException("--processor limit needs --max-request-body SIZE and/or --max-response-body SIZE");
    }
  }

  /** Returns the factory of transform processor {@code name}. */
  ProcessorFactory factory(String name) {
    switch (name) {
      case "redact":
        List<RedactRule> rules = redactRules == null ? RedactRule.defaults() : RedactRule.parseList(redactRules, hashKey());
        return new RedactProcessorFactory(rules, DecodeLimits.DEFAULT);
      case "json-mask":
        return new JsonMaskProcessorFactory(JsonMaskRule.parseList(jsonMaskFields), DecodeLimits.DEFAULT);
      case "limit":
        return new LimitProcessorFactory(size("--max-request-body", maxRequestBody), size("--max-response-body", maxResponseBody));
      default:
        throw new IllegalStateException("unreachable: " + name);
    }
  }

  private static long size(String option, String value) {
    if (value == null) {
      return LimitProcessorFactory.UNLIMITED;
    }
    try {
      return Sizes.parseBytes(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + value + " (expected: a byte count such as 65536, 256KiB or 10MiB)", e);
    }
  }

  private static byte[] hashKey() {
    String env = System.getenv(HASH_KEY_ENV);
    if (env != null) {
      byte[] key = env.getBytes(StandardCharsets.UTF_8);
      if (key.length < 16) {
        throw new IllegalArgumentException("$" + HASH_KEY_ENV + ": " + key.length + " bytes (expected: at least 16)");
      }
      return key;
    }
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return key;
  }

  private static void requireWith(Set<String> used, String processor, String option, Object value) {
    if (value != null && !used.contains(processor)) {
      throw new IllegalArgumentException(
          option + " is given but " + processor + " is not in --processor (expected: --processor ..." + processor + "...)");
    }
  }
}
