package dev.extproc.transforms;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds and replaces the matches of a set of {@link MatchRule}s in a body that arrives in chunks
 * of any size, as if it had the whole body: a match split across any chunk boundary is found.
 *
 * <p>How: the rules are one regular expression ({@code java.util.regex}, one alternative per rule,
 * leftmost match wins, the first rule at a tie) run over the held bytes plus the new chunk. A
 * match that starts at {@code s} is decided once the bytes up to {@code s + L} have arrived ({@code
 * L} = the longest rule's maximum length): no longer match can start there, and none further
 * left. Everything before the last {@code L} bytes is therefore decided and emitted; at most
 * {@code L} bytes (plus one byte of look-behind for {@code \b}) are held between chunks.
 *
 * <p>Memory: a carry of {@code L + 1} bytes, plus one working copy of carry + chunk during {@link
 * #apply}. Bytes are matched one per character (ISO-8859-1 view), so rules match bytes; a UTF-8
 * multi-byte character is never split because ASCII rules never match part of one (see {@link
 * RegexBound} for the allowed constructs).
 *
 * <p>Speed: only positions whose byte can begin a match (found once by probing the pattern with
 * each byte value) run the regex ({@code lookingAt}); the leftmost such position that matches is
 * the match {@code find} would return.
 *
 * <p>Not thread-safe; one instance per body.
 */
public final class StreamingMatcher implements BodyTransform {
  private final List<MatchRule> rules;
  private final Pattern pattern;
  private final int maxLength;
  private final CarryBuffer carry;
  private final long[] counts;
  private final String[] groups;
  private final boolean[] canStart;
  private int lookBehind = -1;
  private boolean finished;

  public StreamingMatcher(List<MatchRule> rules) {
    requireNonNull(rules, "rules");
    if (rules.isEmpty()) {
      throw new IllegalArgumentException("rules: empty (expected: at least one rule)");
    }
    this.rules = List.copyOf(rules);
    StringBuilder combined = new StringBuilder();
    int max = 0;
    for (int i = 0; i < this.rules.size(); i++) {
      MatchRule rule = this.rules.get(i);
      combined.append(i == 0 ? "" : "|").append("(?<r").append(i).append('>').append(rule.regex()).append(')');
      max = Math.max(max, rule.maxLength());
    }
    this.pattern = Pattern.compile(combined.toString());
    this.maxLength = max;
    this.carry = new CarryBuffer(max);
    this.counts = new long[this.rules.size()];
    this.canStart = startBytes(pattern);
    this.groups = new String[this.rules.size()];
    for (int i = 0; i < groups.length; i++) {
      groups[i] = "r" + i;
    }
  }

  /** Returns the most bytes held between chunks (the longest rule's maximum match length). */
  public int maxHeldBytes() {
    return maxLength;
  }

  /** Returns the bytes held right now. */
  public int heldBytes() {
    return carry.size();
  }

  @Override
  public ByteString apply(ByteString chunk) {
    return scan(chunk, false);
  }

  @Override
  public ByteString finish() {
    return scan(ByteString.EMPTY, true);
  }

  /** Returns the number of matches replaced so far, by rule name, in rule order. */
  public Map<String, Long> counts() {
    Map<String, Long> byName = new LinkedHashMap<>();
    for (int i = 0; i < rules.size(); i++) {
      byName.merge(rules.get(i).name(), counts[i], Long::sum);
    }
    return byName;
  }

  /** Returns the total number of matches replaced so far. */
  public long total() {
    long sum = 0;
    for (long count : counts) {
      sum += count;
    }
    return sum;
  }

  private ByteString scan(ByteString chunk, boolean last) {
    if (finished) {
      throw new IllegalStateException("the matcher has finished");
    }
    finished = last;
    int behind = lookBehind >= 0 ? 1 : 0;
    int n = behind + carry.size() + chunk.size();
    byte[] work = new byte[n];
    if (behind == 1) {
      work[0] = (byte) lookBehind;
    }
    carry.copyTo(work, behind);
    chunk.copyTo(work, behind + carry.size());
    carry.skip(carry.size());

    Matcher m = pattern.matcher(new Latin1View(work, 0, n));
    m.useTransparentBounds(true);
    m.useAnchoringBounds(false);
    ByteString.Output out = ByteString.newOutput(n);
    int p = behind;
    int q = behind; // the next position to try; none in [p, q) starts a match
    while (q < n) {
      if (!canStart[work[q] & 0xff]) {
        q++;
        continue;
      }
      m.region(q, n);
      if (!m.lookingAt()) {
        if (!last && m.hitEnd() && q + maxLength >= n) {
          break; // more bytes could make a match start here
        }
        q++;
        continue;
      }
      int s = q;
      int e = m.end();
      if (!last && m.hitEnd() && s + maxLength >= n) {
        break; // more bytes could make this match longer
      }
      out.write(work, p, s - p);
      if (e == s) {
        out.write(work, s, 1);
        p = s + 1;
        q = p;
        continue;
      }
      int rule = ruleOf(m);
      byte[] replacement = rules.get(rule).replacer().replace(work, s, e);
      if (replacement == null) {
        out.write(work, s, e - s);
      } else {
        out.write(replacement, 0, replacement.length);
        counts[rule]++;
      }
      p = e;
      q = e;
    }
    int keepFrom = last ? n : Math.max(p, n - maxLength);
    out.write(work, p, keepFrom - p);
    carry.append(work, keepFrom, n - keepFrom);
    if (keepFrom > 0) {
      lookBehind = work[keepFrom - 1] & 0xff;
    }
    return out.toByteString();
  }

  /**
   * Returns which bytes can begin a match (or a zero-length one), probing the pattern with each
   * byte after a word and after a non-word byte (for {@code \b}): positions starting with any other
   * byte are skipped without running the regex, which is what makes the matcher fast on bodies
   * where matches are rare.
   */
  private static boolean[] startBytes(Pattern pattern) {
    boolean[] can = new boolean[256];
    for (int b = 0; b < 256; b++) {
      for (char before : new char[] {'a', ' '}) {
        Matcher probe = pattern.matcher(new String(new char[] {before, (char) b}));
        probe.useTransparentBounds(true);
        probe.useAnchoringBounds(false);
        probe.region(1, 2);
        if (probe.lookingAt() || probe.hitEnd()) {
          can[b] = true;
        }
      }
    }
    return can;
  }

  private int ruleOf(Matcher m) {
    for (int i = 0; i < rules.size(); i++) {
      if (m.start(groups[i]) >= 0) {
        return i;
      }
    }
    throw new IllegalStateException("no rule group matched");
  }

  /** Returns the rules, in order. */
  public List<MatchRule> rules() {
    return new ArrayList<>(rules);
  }
}
