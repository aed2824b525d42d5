package dev.extproc.app;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What log output hides: the value after any sensitive header name followed by {@code :} or
 * {@code =} (as in {@code authorization: Bearer x} or {@code cookie=a=1; b=2}), up to the end of
 * the message, since a header value may hold spaces, commas and semicolons. The names are {@link
 * #ALWAYS} plus those configured. Immutable.
 */
final class Redaction {
  /** Header names whose values are always redacted. */
  static final List<String> ALWAYS = List.of("authorization", "proxy-authorization", "cookie", "set-cookie");
  /** What replaces a redacted value. */
  static final String MASK = "<redacted>";

  private final Pattern pattern;

  Redaction(List<String> configured) {
    Set<String> names = new LinkedHashSet<>(ALWAYS);
    for (String name : configured) {
      String trimmed = name.trim().toLowerCase(Locale.ROOT);
      if (!trimmed.matches("[a-z0-9!#$%&'*+.^_`|~-]+")) {
        throw new IllegalArgumentException("--redact-header: " + name + " (expected: an HTTP header name)");
      }
      names.add(trimmed);
    }
    List<String> quoted = new ArrayList<>();
    names.forEach(n -> quoted.add(Pattern.quote(n)));
    pattern = Pattern.compile("(?i)(" + String.join("|", quoted) + ")(\"?\\s*[:=]\\s*).*", Pattern.DOTALL);
  }

  /** Returns the regular expression that matches a sensitive name and its value (group 1 the name, 2 the separator). */
  Pattern pattern() {
    return pattern;
  }

  /** Returns {@code text} with every sensitive value replaced by {@link #MASK}. */
  String apply(String text) {
    return pattern.matcher(text).replaceAll("$1$2" + MASK);
  }
}
