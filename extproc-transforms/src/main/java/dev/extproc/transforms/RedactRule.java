package dev.extproc.transforms;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;

/**
 * One redaction rule: a named pattern, an optional validator (a Luhn or IBAN check) and an action.
 * Built-in kinds: {@code card}, {@code email}, {@code iban}, {@code api-key}; any other is a
 * user regex written {@code /REGEX/}.
 *
 * <p>The list syntax of {@code --redact-rules}: comma-separated items {@code KIND[:ACTION]}, where
 * ACTION is {@code mask}, {@code keep-last-N} or {@code hash}, e.g. {@code
 * card,email:hash,/order-[0-9]{8}/:keep-last-2}. Inside {@code /.../} a comma is part of the regex
 * and {@code \/} is a slash.
 *
 * @param name the rule's name in counts and hash tokens
 * @param regex the pattern (see {@link RegexBound})
 * @param validator decides whether a match is really one (bytes, from, to); always true for most
 * @param action what a match becomes
 */
public record RedactRule(String name, String regex, BiPredicate<byte[], int[]> validator, RedactAction action) {

  /** Card numbers: 13 to 19 digits, single spaces or dashes allowed between them, Luhn-checked. */
  public static final String CARD_REGEX = "\\b(?:\\d[ -]?){12,18}\\d\\b";
  /**
   * E-mail addresses (a local part of up to 64 characters, up to 9 domain labels). The local part
   * is possessive: its class excludes '@', so giving characters back can never find a match, and
   * not trying makes the rule several times faster on text.
   */
  public static final String EMAIL_REGEX =
      "[A-Za-z0-9._%+-]{1,64}+@[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63}){1,8}";
  /** IBANs without spaces, mod-97-checked. */
  public static final String IBAN_REGEX = "\\b[A-Z]{2}\\d{2}[A-Z0-9]{11,30}\\b";
  /** Well-known API key shapes: AWS access key ids, GitHub, Slack, Stripe live, Google, OpenAI-style keys. */
  public static final String API_KEY_REGEX = "\\b(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}"
      + "|github_pat_[A-Za-z0-9_]{82}|xox[abprs]-[A-Za-z0-9-]{10,72}|[sr]k_live_[A-Za-z0-9]{24,99}"
      + "|AIza[0-9A-Za-z_-]{35}|sk-[A-Za-z0-9_-]{20,164})";

  public RedactRule {
    requireNonNull(name, "name");
    requireNonNull(regex, "regex");
    requireNonNull(validator, "validator");
    requireNonNull(action, "action");
  }

  /** The default with no {@code --redact-rules}: Luhn-valid card numbers, last four digits kept. */
  public static List<RedactRule> defaults() {
    return List.of(card(new RedactAction.KeepLast(4)));
  }

  public static RedactRule card(RedactAction action) {
    return new RedactRule("card", CARD_REGEX, (b, r) -> Checks.luhn(b, r[0], r[1]), action);
  }

  public static RedactRule email(RedactAction action) {
    return new RedactRule("email", EMAIL_REGEX, (b, r) -> true, action);
  }

  public static RedactRule iban(RedactAction action) {
    return new RedactRule("iban", IBAN_REGEX, (b, r) -> Checks.iban(b, r[0], r[1]), action);
  }

  public static RedactRule apiKey(RedactAction action) {
    return new RedactRule("api-key", API_KEY_REGEX, (b, r) -> true, action);
  }

  /** A user regex; its maximum match length is computed (unbounded regexes are refused). */
  public static RedactRule regex(String name, String regex, RedactAction action) {
    RegexBound.maxLength(regex);
    return new RedactRule(name, regex, (b, r) -> true, action);
  }

  /** Returns this rule as a matcher rule. */
  public MatchRule toMatchRule() {
    return MatchRule.of(name, regex, (buffer, from, to) ->
        validator.test(buffer, new int[] {from, to}) ? action.apply(name, buffer, from, to) : null);
  }

  /**
   * Parses a {@code --redact-rules} list.
   *
   * @param hashKey the key of the {@code hash} action
   * @throws IllegalArgumentException naming the item, on an unknown kind or action or a regex
   *     without a bounded match length
   */
  public static List<RedactRule> parseList(String list, byte[] hashKey) {
    List<RedactRule> rules = new ArrayList<>();
    int userRegexes = 0;
    for (String item : splitItems(list)) {
      String kind = item;
      String actionText = null;
      int colon;
      if (item.startsWith("/")) {
        int close = closingSlash(item);
        kind = item.substring(0, close + 1);
        String rest = item.substring(close + 1);
        if (!rest.isEmpty()) {
          if (!rest.startsWith(":")) {
            throw new IllegalArgumentException("--redact-rules: " + item + " (expected: /REGEX/ or /REGEX/:ACTION)");
          }
          actionText = rest.substring(1);
        }
      } else if ((colon = item.indexOf(':')) >= 0) {
        kind = item.substring(0, colon);
        actionText = item.substring(colon + 1);
      }
      try {
        RedactRule rule;
        switch (kind) {
          case "card":
            rule = card(action(actionText, "keep-last-4", hashKey));
            break;
          case "email":
            rule = email(action(actionText, "mask", hashKey));
            break;
          case "iban":
            rule = iban(action(actionText, "keep-last-4", hashKey));
            break;
          case "api-key":
            rule = apiKey(action(actionText, "mask", hashKey));
            break;
          default:
            if (!kind.startsWith("/")) {
              throw new IllegalArgumentException("unknown rule " + kind + " (expected: card, email, iban, api-key or /REGEX/)");
            }
            String regex = kind.substring(1, kind.length() - 1).replace("\\/", "/");
            rule = regex("regex" + (++userRegexes), regex, action(actionText, "mask", hashKey));
        }
        rules.add(rule);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--redact-rules: " + item + ": " + e.getMessage(), e);
      }
    }
    if (rules.isEmpty()) {
      throw new IllegalArgumentException("--redact-rules: empty (expected: e.g. card,email,iban,api-key)");
    }
    return rules;
  }

  private static RedactAction action(String text, String fallback, byte[] hashKey) {
    return RedactAction.parse(text == null ? fallback : text, hashKey);
  }

  private static List<String> splitItems(String list) {
    List<String> items = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean inRegex = false;
    for (int i = 0; i < list.length(); i++) {
      char c = list.charAt(i);
      if (inRegex) {
        current.append(c);
        if (c == '\\' && i + 1 < list.length()) {
          current.append(list.charAt(++i));
        } else if (c == '/') {
          inRegex = false;
        }
      } else if (c == ',') {
        add(items, current);
      } else {
        if (c == '/' && current.toString().isBlank()) {
          inRegex = true;
          current.setLength(0);
        }
        current.append(c);
      }
    }
    if (inRegex) {
      throw new IllegalArgumentException("--redact-rules: " + list + ": unterminated /REGEX/");
    }
    add(items, current);
    return items;
  }

  private static void add(List<String> items, StringBuilder current) {
    String item = current.toString().trim();
    if (!item.isEmpty()) {
      items.add(item);
    }
    current.setLength(0);
  }

  private static int closingSlash(String item) {
    for (int i = 1; i < item.length(); i++) {
      if (item.charAt(i) == '\\') {
        i++;
      } else if (item.charAt(i) == '/') {
        return i;
      }
    }
    throw new IllegalArgumentException("--redact-rules: " + item + ": unterminated /REGEX/");
  }

  @Override
  public String toString() {
    return name + ":" + action;
  }
}
