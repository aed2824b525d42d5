package dev.extproc.transforms;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class StreamingMatcherTest {

  private static final MatchRule.Replacer STAR = (b, from, to) -> "*".repeat(to - from).getBytes(UTF_8);

  private static StreamingMatcher matcher(String... regexes) {
    MatchRule[] rules = new MatchRule[regexes.length];
    for (int i = 0; i < regexes.length; i++) {
      rules[i] = MatchRule.of("r" + i, regexes[i], STAR);
    }
    return new StreamingMatcher(List.of(rules));
  }

  /** What java.util.regex does on the whole body: the reference. */
  private static String reference(String body, String... regexes) {
    StringBuilder combined = new StringBuilder();
    for (String regex : regexes) {
      combined.append(combined.length() == 0 ? "" : "|").append("(?:").append(regex).append(')');
    }
    Matcher m = Pattern.compile(combined.toString()).matcher(body);
    StringBuilder out = new StringBuilder();
    int last = 0;
    while (m.find()) {
      if (m.end() == m.start()) {
        continue;
      }
      out.append(body, last, m.start()).append("*".repeat(m.end() - m.start()));
      last = m.end();
    }
    return out.append(body.substring(last)).toString();
  }

  @Test
  void findsALiteralSplitAtEveryBoundary() {
    ByteString body = ByteString.copyFromUtf8("xx secret yy secret zz");
    for (int cut = 0; cut <= body.size(); cut++) {
      ByteString out = Chunkings.run(matcher("secret"), Chunkings.splitAt(body, cut));
      assertThat(out.toStringUtf8()).as("cut at %d", cut).isEqualTo("xx ****** yy ****** zz");
    }
  }

  @Test
  void findsRegexMatchesAcrossEveryPairOfBoundaries() {
    String text = "a 4111111111111111 b foo-1234 c\nfoo-99 word\\bend";
    String[] regexes = {"\\b\\d{13,19}\\b", "foo-\\d{1,4}"};
    String expected = reference(text, regexes);
    ByteString body = ByteString.copyFromUtf8(text);
    for (int a = 0; a <= body.size(); a++) {
      for (int b = a; b <= body.size(); b++) {
        List<ByteString> chunks = new java.util.ArrayList<>();
        for (ByteString piece : List.of(body.substring(0, a), body.substring(a, b), body.substring(b))) {
          if (!piece.isEmpty()) {
            chunks.add(piece);
          }
        }
        assertThat(Chunkings.run(matcher(regexes), chunks).toStringUtf8()).as("cuts %d, %d", a, b).isEqualTo(expected);
      }
    }
  }

  @Test
  void randomChunkingsFrom1ByteTo1MiBGiveTheWholeBodyResult() {
    Random random = new Random(42);
    StringBuilder text = new StringBuilder();
    while (text.length() < 3 * 1024 * 1024) {
      int kind = random.nextInt(10);
      if (kind == 0) {
        text.append(" token-").append(random.nextInt(100000)).append(' ');
      } else if (kind == 1) {
        text.append(" 4111 1111 1111 1111 ");
      } else {
        text.append((char) ('a' + random.nextInt(26)));
      }
    }
    String[] regexes = {"token-\\d{1,6}", "\\b(?:\\d[ -]?){12,18}\\d\\b"};
    String expected = reference(text.toString(), regexes);
    ByteString body = ByteString.copyFromUtf8(text.toString());
    for (int round = 0; round < 6; round++) {
      int maxChunk = round < 3 ? 64 << (round * 4) : 1024 * 1024;
      List<ByteString> chunks = Chunkings.random(body, random, maxChunk);
      StreamingMatcher matcher = matcher(regexes);
      ByteString out = ByteString.EMPTY;
      for (ByteString chunk : chunks) {
        out = out.concat(matcher.apply(chunk));
        assertThat(matcher.heldBytes()).isLessThanOrEqualTo(matcher.maxHeldBytes());
      }
      out = out.concat(matcher.finish());
      assertThat(out.toStringUtf8()).as("round %d (%d chunks)", round, chunks.size()).isEqualTo(expected);
    }
    ByteString prefix = body.substring(0, 64 * 1024);
    assertThat(Chunkings.run(matcher(regexes), Chunkings.fixed(prefix, 1)).toStringUtf8())
        .isEqualTo(reference(prefix.toStringUtf8(), regexes));
  }

  @Test
  void holdsAtMostTheMaximumMatchLength() {
    StreamingMatcher matcher = matcher("ab{1,5}c");
    assertThat(matcher.maxHeldBytes()).isEqualTo(7);
    ByteString out = matcher.apply(ByteString.copyFromUtf8("0123456789abbb"));
    assertThat(out.toStringUtf8()).isEqualTo("0123456");
    assertThat(matcher.heldBytes()).isEqualTo(7);
    assertThat(matcher.apply(ByteString.copyFromUtf8("c!")).toStringUtf8()).isEqualTo("789*****");
    assertThat(matcher.finish().toStringUtf8()).isEqualTo("!");
  }

  @Test
  void aValidatorThatSaysNoKeepsTheMatchAndCountsNothing() {
    StreamingMatcher matcher = new StreamingMatcher(List.of(MatchRule.of("n", "\\d{3}", (b, f, t) -> b[f] == '1' ? STAR.replace(b, f, t) : null)));
    ByteString out = Chunkings.run(matcher, List.of(ByteString.copyFromUtf8("123 456 199")));
    assertThat(out.toStringUtf8()).isEqualTo("*** 456 ***");
    assertThat(matcher.counts()).containsEntry("n", 2L);
  }

  @Test
  void literalsMatchTheirUtf8Bytes() {
    StreamingMatcher matcher = new StreamingMatcher(List.of(MatchRule.literal("word", "grüß", (b, f, t) -> "X".getBytes(UTF_8))));
    ByteString body = ByteString.copyFromUtf8("ein grüß und grüß");
    for (int cut = 0; cut <= body.size(); cut++) {
      StreamingMatcher fresh = new StreamingMatcher(matcher.rules());
      assertThat(Chunkings.run(fresh, Chunkings.splitAt(body, cut)).toStringUtf8()).isEqualTo("ein X und X");
    }
  }
}
