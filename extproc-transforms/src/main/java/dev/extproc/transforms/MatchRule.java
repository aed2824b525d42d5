package dev.extproc.transforms;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One rule of a {@link StreamingMatcher}: a name (for counts), a regular expression over the body's
 * bytes, its maximum match length (computed by {@link RegexBound}, or checked against a declared
 * one) and what a match becomes.
 *
 * @param name the rule's name, used in counts and errors
 * @param regex the expression; see {@link RegexBound} for the allowed constructs
 * @param maxLength the longest match, in bytes
 * @param replacer what a match becomes
 */
public record MatchRule(String name, String regex, int maxLength, Replacer replacer) {

  /** Turns one match into its replacement. */
  @FunctionalInterface
  public interface Replacer {
    /**
     * Returns the bytes that replace {@code match}, or {@code null} to keep it unchanged (a
     * validator said no, for example a failed Luhn check); such a match is not counted.
     */
    byte[] replace(byte[] buffer, int from, int to);
  }

  public MatchRule {
    requireNonNull(name, "name");
    requireNonNull(regex, "regex");
    requireNonNull(replacer, "replacer");
    int computed = RegexBound.maxLength(regex);
    if (computed > maxLength) {
      throw new IllegalArgumentException("rule " + name + ": regex " + regex + " can match " + computed
          + " bytes, more than the declared maximum " + maxLength);
    }
    if (maxLength < 1) {
      throw new IllegalArgumentException("rule " + name + ": maximum match length " + maxLength + " (expected: >= 1)");
    }
    try {
      Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("rule " + name + ": regex " + regex + " does not compile: " + e.getDescription(), e);
    }
  }

  /** Returns a rule whose maximum length is computed from {@code regex}. */
  public static MatchRule of(String name, String regex, Replacer replacer) {
    return new MatchRule(name, regex, Math.max(1, RegexBound.maxLength(regex)), replacer);
  }

  /** Returns a rule matching {@code literal} (ASCII or not: it is matched as its UTF-8 bytes). */
  public static MatchRule literal(String name, String literal, Replacer replacer) {
    StringBuilder regex = new StringBuilder();
    for (byte b : literal.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      regex.append(String.format("\\x%02x", b & 0xff));
    }
    return of(name, regex.toString(), replacer);
  }
}
