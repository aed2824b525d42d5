package dev.extproc.processors.media;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestMediaTest {
  @TempDir Path tmp;

  @Test
  void seedSizes_areTheContractsSizes() {
    assertThat(TestMedia.seedSpecs(1.0))
        .extracting(TestMedia.Spec::name, TestMedia.Spec::sizeBytes)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("input.mp4", 73_819_750L),
            org.assertj.core.groups.Tuple.tuple("request-replacement.mp4", 81_788_928L),
            org.assertj.core.groups.Tuple.tuple("response-replacement.mp4", 22_963_814L));
  }

  @Test
  void generation_isDeterministic_andSkipsCorrectFiles() throws Exception {
    List<TestMedia.MediaFile> first = TestMedia.ensure(tmp, 0.01);
    List<TestMedia.MediaFile> second = TestMedia.ensure(tmp, 0.01);

    assertThat(first).allSatisfy(f -> assertThat(f.generated()).isTrue());
    assertThat(second).allSatisfy(f -> assertThat(f.generated()).isFalse());
    assertThat(second).extracting(TestMedia.MediaFile::sha256).isEqualTo(first.stream().map(TestMedia.MediaFile::sha256).toList());
    assertThat(first.get(0).sizeBytes()).isEqualTo(738_197L);
    for (TestMedia.MediaFile file : first) {
      assertThat(Files.size(file.path())).isEqualTo(file.sizeBytes());
      assertThat(TestMedia.sha256(file.path())).isEqualTo(file.sha256());
    }
    assertThat(Files.list(tmp).map(p -> p.getFileName().toString()).sorted().toList())
        .containsExactly("input.mp4", "request-replacement.mp4", "response-replacement.mp4");
  }

  @Test
  void corruptedFile_isRegenerated() throws Exception {
    Path file = tmp.resolve("f.bin");
    TestMedia.MediaFile good = TestMedia.ensure(file, 3_000_000, 9);
    byte[] bytes = Files.readAllBytes(file);
    bytes[2_500_000] ^= 1;
    Files.write(file, bytes);

    TestMedia.MediaFile again = TestMedia.ensure(file, 3_000_000, 9);

    assertThat(again.generated()).isTrue();
    assertThat(again.sha256()).isEqualTo(good.sha256());
  }

  @Test
  void anyBlockMatchesThePrefixOfTheSequence() {
    byte[] whole = TestMedia.bytes(100, 5);
    byte[] tail = new byte[37];
    TestMedia.fill(tail, 37, 13, 5);
    assertThat(tail).isEqualTo(Arrays.copyOfRange(whole, 13, 50));
    assertThat(TestMedia.bytes(100, 6)).isNotEqualTo(whole);
  }
}
