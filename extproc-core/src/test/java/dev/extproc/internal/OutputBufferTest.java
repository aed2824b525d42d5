package dev.extproc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutputBufferTest {

  @Test
  void takeRechunksAcrossWritesWithoutLosingOrReorderingBytes() {
    OutputBuffer buffer = new OutputBuffer();
    ByteString all = bytes(10_000, 5);
    buffer.add(all.substring(0, 3));
    buffer.add(all.substring(3, 7000));
    buffer.add(ByteString.EMPTY);
    buffer.add(all.substring(7000));
    assertThat(buffer.size()).isEqualTo(10_000);
    List<ByteString> chunks = new ArrayList<>();
    while (!buffer.isEmpty()) {
      chunks.add(buffer.take(4096));
    }
    assertThat(chunks).extracting(ByteString::size).containsExactly(4096, 4096, 1808);
    assertThat(ByteString.copyFrom(chunks)).isEqualTo(all);
    assertThat(buffer.size()).isZero();
  }

  @Test
  void isExactlyRecognizesTheSameInstanceAloneOnly() {
    ByteString chunk = ByteString.copyFromUtf8("chunk");
    OutputBuffer buffer = new OutputBuffer();
    buffer.add(chunk);
    assertThat(buffer.isExactly(chunk)).isTrue();
    assertThat(buffer.isExactly(ByteString.copyFromUtf8("chunk"))).isFalse();
    buffer.add(ByteString.copyFromUtf8("more"));
    assertThat(buffer.isExactly(chunk)).isFalse();
  }

  @Test
  void takeAllConcatenatesEverythingAndEmptiesTheBuffer() {
    OutputBuffer buffer = new OutputBuffer();
    buffer.add(ByteString.copyFromUtf8("ab"));
    buffer.add(ByteString.copyFromUtf8("cd"));
    assertThat(buffer.takeAll().toStringUtf8()).isEqualTo("abcd");
    assertThat(buffer.isEmpty()).isTrue();
    assertThat(buffer.takeAll()).isEqualTo(ByteString.EMPTY);
  }

  @Test
  void takeRefusesANonPositiveSize() {
    assertThatThrownBy(() -> new OutputBuffer().take(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxBytes: 0 (expected: > 0)");
  }

  private static ByteString bytes(int size, int seed) {
    byte[] data = new byte[size];
    new java.util.Random(seed).nextBytes(data);
    return ByteString.copyFrom(data);
  }
}
