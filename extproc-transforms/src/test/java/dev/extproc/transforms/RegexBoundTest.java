package dev.extproc.transforms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RegexBoundTest {

  @Test
  void computesTheLongestMatch() {
    assertThat(RegexBound.maxLength("abc")).isEqualTo(3);
    assertThat(RegexBound.maxLength("a{2,5}b?")).isEqualTo(6);
    assertThat(RegexBound.maxLength("(?:ab|cde){3}")).isEqualTo(9);
    assertThat(RegexBound.maxLength("\\b[A-Z]{2}\\d{2}[A-Z0-9]{11,30}\\b")).isEqualTo(34);
    assertThat(RegexBound.maxLength("(?i)x\\Qa.b\\E(?<n>[^]x]{0,4})")).isEqualTo(8);
    assertThat(RegexBound.maxLength(RedactRule.CARD_REGEX)).isEqualTo(37);
    assertThat(RegexBound.maxLength("\\x41\\u0042\\p{L}\\.")).isEqualTo(4);
  }

  @Test
  void refusesWhatHasNoBound() {
    assertThatThrownBy(() -> RegexBound.maxLength("a+")).hasMessageContaining("quantifier '+' (unbounded");
    assertThatThrownBy(() -> RegexBound.maxLength("a*")).hasMessageContaining("quantifier '*'");
    assertThatThrownBy(() -> RegexBound.maxLength("a{2,}")).hasMessageContaining("unbounded");
    assertThatThrownBy(() -> RegexBound.maxLength("a(?=b)")).hasMessageContaining("look-ahead");
    assertThatThrownBy(() -> RegexBound.maxLength("(?<!a)b")).hasMessageContaining("look-behind");
    assertThatThrownBy(() -> RegexBound.maxLength("(a)\\1")).hasMessageContaining("back reference");
    assertThatThrownBy(() -> RegexBound.maxLength("^a")).hasMessageContaining("anchor");
    assertThatThrownBy(() -> RegexBound.maxLength("é")).hasMessageContaining("non-ASCII");
    assertThatThrownBy(() -> RegexBound.maxLength("(ab")).hasMessageContaining("unterminated group");
  }
}
