package dev.extproc.transforms;

/**
 * Computes the longest match a regular expression can have, from its syntax, and refuses the
 * constructs a streaming matcher cannot bound.
 *
 * <p>Allowed: literals (ASCII only; write other bytes as {@code \xhh}), {@code .}, character
 * classes, the escapes {@code \d \w \s \h \v \p{..}} and their negations, {@code \t \n \r \f \a
 * \e \xhh \0ooo \cX} (and the 4-digit unicode escape), {@code \Q...\E}, groups ({@code (..)}, {@code (?:..)}, {@code
 * (?<name>..)}, {@code (?>..)}, inline flags such as {@code (?i)}), alternation, the bounded
 * quantifiers {@code ? {n} {n,m}} (greedy, lazy or possessive), and the word boundaries {@code \b
 * \B} (the matcher keeps one byte of look-behind for them).
 *
 * <p>Refused, with the reason: {@code * + {n,}} (no bound on the match), look-ahead and
 * look-behind (they read bytes outside the match, so the bound would not cover them), back
 * references (their length is that of another group at run time), {@code ^ $ \A \z \Z \G}
 * (a chunk boundary is not the start or end of the input), {@code \R \X} and the {@code x} flag
 * (their lengths are not a simple count of characters).
 */
public final class RegexBound {
  private final String regex;
  private int pos;

  private RegexBound(String regex) {
    this.regex = regex;
  }

  /**
   * Returns the maximum match length of {@code regex} in characters (one character is one byte in
   * the matcher's Latin-1 view of the body).
   *
   * @throws IllegalArgumentException naming the construct, when the length is unbounded or cannot
   *     be computed
   */
  public static int maxLength(String regex) {
    RegexBound parser = new RegexBound(regex);
    long max = parser.alternation();
    if (parser.pos != regex.length()) {
      throw parser.refuse("unbalanced ')'");
    }
    if (max > Integer.MAX_VALUE / 4) {
      throw new IllegalArgumentException("regex " + regex + ": maximum match length " + max + " is too large");
    }
    return (int) max;
  }

  private long alternation() {
    long max = sequence();
    while (pos < regex.length() && regex.charAt(pos) == '|') {
      pos++;
      max = Math.max(max, sequence());
    }
    return max;
  }

  private long sequence() {
    long sum = 0;
    while (pos < regex.length()) {
      char c = regex.charAt(pos);
      if (c == '|' || c == ')') {
        return sum;
      }
      long atom = atom();
      sum += atom * quantifier();
    }
    return sum;
  }

  private long atom() {
    char c = regex.charAt(pos);
    if (c > 0x7e || (c < 0x20 && c != '\t')) {
      throw refuse("non-ASCII or control character U+" + String.format("%04X", (int) c)
          + " (write bytes as \\xhh: the matcher sees the body as bytes)");
    }
    switch (c) {
      case '(':
        return group();
      case '[':
        skipClass();
        return 1;
      case '\\':
        return escape();
      case '^':
      case '$':
        throw refuse("anchor '" + c + "' (a chunk boundary is not the start or end of the body)");
      case '*':
      case '+':
        throw refuse("quantifier '" + c + "' (unbounded: use {0,N} or {1,N})");
      case '?':
      case '{':
        throw refuse("dangling quantifier '" + c + "'");
      default:
        pos++;
        return 1;
    }
  }

  private long group() {
    pos++; // (
    if (peek('?')) {
      pos++;
      char kind = at(pos);
      if (kind == '=' || kind == '!') {
        throw refuse("look-ahead '(?" + kind + "' (it reads outside the match, so the length bound does not cover it)");
      }
      if (kind == '<') {
        char next = at(pos + 1);
        if (next == '=' || next == '!') {
          throw refuse("look-behind '(?<" + next + "' (it reads outside the match, so the length bound does not cover it)");
        }
        int close = regex.indexOf('>', pos);
        if (close < 0) {
          throw refuse("unterminated group name");
        }
        pos = close + 1;
      } else if (kind == '>' || kind == ':') {
        pos++;
      } else {
        // Inline flags: (?flags) or (?flags:...)
        while (pos < regex.length() && regex.charAt(pos) != ')' && regex.charAt(pos) != ':') {
          if (regex.charAt(pos) == 'x') {
            throw refuse("flag 'x' (comments mode is not supported)");
          }
          pos++;
        }
        if (pos >= regex.length()) {
          throw refuse("unterminated group");
        }
        if (regex.charAt(pos) == ')') {
          pos++;
          return 0;
        }
        pos++; // ':'
      }
    }
    long inner = alternation();
    if (!peek(')')) {
      throw refuse("unterminated group");
    }
    pos++;
    return inner;
  }

  private void skipClass() {
    int depth = 0;
    pos++; // [
    if (peek('^')) {
      pos++;
    }
    if (peek(']')) {
      pos++; // a literal ']' first in the class
    }
    while (pos < regex.length()) {
      char c = regex.charAt(pos);
      if (c == '\\') {
        pos += 2;
        continue;
      }
      if (c > 0x7e) {
        throw refuse("non-ASCII character in a class (write bytes as \\xhh)");
      }
      pos++;
      if (c == '[') {
        depth++;
      } else if (c == ']') {
        if (depth == 0) {
          return;
        }
        depth--;
      }
    }
    throw refuse("unterminated character class");
  }

  private long escape() {
    pos++; // backslash
    if (pos >= regex.length()) {
      throw refuse("trailing backslash");
    }
    char c = regex.charAt(pos++);
    switch (c) {
      case 'b':
      case 'B':
        return 0;
      case 'A': case 'z': case 'Z': case 'G':
        throw refuse("anchor '\\" + c + "' (a chunk boundary is not the start or end of the body)");
      case 'R': case 'X':
        throw refuse("'\\" + c + "' (its match length is not one character)");
      case 'k':
        throw refuse("back reference '\\k' (its length is another group's at run time)");
      case 'p': case 'P':
        if (peek('{')) {
          skipPast('}');
        } else {
          pos++;
        }
        return 1;
      case 'x':
        if (peek('{')) {
          skipPast('}');
        } else {
          pos += 2;
        }
        return 1;
      case 'u':
        pos += 4;
        return 1;
      case 'c':
        pos++;
        return 1;
      case '0':
        while (pos < regex.length() && regex.charAt(pos) >= '0' && regex.charAt(pos) <= '7') {
          pos++;
        }
        return 1;
      case 'Q':
        int end = regex.indexOf("\\E", pos);
        int stop = end < 0 ? regex.length() : end;
        long length = stop - pos;
        pos = end < 0 ? stop : end + 2;
        return length;
      default:
        if (c >= '1' && c <= '9') {
          throw refuse("back reference '\\" + c + "' (its length is another group's at run time)");
        }
        return 1;
    }
  }

  /** Returns the factor the quantifier after an atom applies to its maximum (1 when none). */
  private long quantifier() {
    if (pos >= regex.length()) {
      return 1;
    }
    char c = regex.charAt(pos);
    long factor;
    if (c == '?') {
      pos++;
      factor = 1;
    } else if (c == '*' || c == '+') {
      throw refuse("quantifier '" + c + "' (unbounded: use {0,N} or {1,N})");
    } else if (c == '{') {
      int close = regex.indexOf('}', pos);
      if (close < 0) {
        throw refuse("unterminated quantifier");
      }
      String body = regex.substring(pos + 1, close);
      int comma = body.indexOf(',');
      try {
        if (comma < 0) {
          factor = Long.parseLong(body.trim());
        } else if (comma == body.length() - 1) {
          throw refuse("quantifier '{" + body + "}' (unbounded: give an upper bound, {n,m})");
        } else {
          factor = Long.parseLong(body.substring(comma + 1).trim());
        }
      } catch (NumberFormatException e) {
        throw refuse("quantifier '{" + body + "}'");
      }
      pos = close + 1;
    } else {
      return 1;
    }
    if (pos < regex.length() && (regex.charAt(pos) == '?' || regex.charAt(pos) == '+')) {
      pos++; // lazy or possessive: same bound
    }
    if (pos < regex.length() && "?*+{".indexOf(regex.charAt(pos)) >= 0) {
      throw refuse("stacked quantifier '" + regex.charAt(pos) + "'");
    }
    return factor;
  }

  private void skipPast(char close) {
    int at = regex.indexOf(close, pos);
    if (at < 0) {
      throw refuse("unterminated '" + regex.charAt(pos) + "'");
    }
    pos = at + 1;
  }

  private boolean peek(char c) {
    return pos < regex.length() && regex.charAt(pos) == c;
  }

  private char at(int index) {
    return index < regex.length() ? regex.charAt(index) : '\0';
  }

  private IllegalArgumentException refuse(String what) {
    return new IllegalArgumentException("regex " + regex + ": " + what + " at index " + Math.min(pos, regex.length())
        + "; a streaming rule needs a bounded match length");
  }
}
