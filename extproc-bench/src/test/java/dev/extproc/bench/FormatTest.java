package dev.extproc.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FormatTest {

  @Test
  void parsesSizesInPowersOf1024() {
    assertThat(Format.parseSize("256KiB")).isEqualTo(256 * 1024);
    assertThat(Format.parseSize("1 MiB")).isEqualTo(1024 * 1024);
    assertThat(Format.parseSize("2g")).isEqualTo(2L << 30);
    assertThat(Format.parseSize("1000")).isEqualTo(1000);
    assertThat(Format.parseSize("0.5MB")).isEqualTo(512 * 1024);
  }

  @Test
  void rejectsGarbageWithTheExpectedForm() {
    assertThatThrownBy(() -> Format.parseSize("lots"))
        .hasMessage("size: lots (expected: bytes or a number with KiB, MiB or GiB, such as 256KiB)");
  }

  @Test
  void formatsMibAndNa() {
    assertThat(Format.mib(151L * 1024 * 1024 + 734003)).isEqualTo("151.7 MiB");
    assertThat(Format.mib(null)).isEqualTo("n/a");
  }
}
