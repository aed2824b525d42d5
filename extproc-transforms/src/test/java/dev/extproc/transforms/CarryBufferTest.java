package dev.extproc.transforms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

class CarryBufferTest {

  @Test
  void readsPeeksFindsSkipsAndEmits() {
    CarryBuffer buffer = new CarryBuffer(8);
    buffer.append(ByteString.copyFromUtf8("abc,def"));
    assertThat(buffer.peek(1)).isEqualTo((byte) 'b');
    assertThat(buffer.indexOf((byte) ',', 0)).isEqualTo(3);
    buffer.skip(2);
    assertThat(buffer.take(2).toStringUtf8()).isEqualTo("c,");
    buffer.append(ByteString.copyFromUtf8("ghijk"));
    assertThat(buffer.size()).isEqualTo(8);
    assertThat(buffer.takeAll().toStringUtf8()).isEqualTo("defghijk");
    assertThat(buffer.isEmpty()).isTrue();
  }

  @Test
  void overflowIsAClearErrorAndAppendsNothing() {
    CarryBuffer buffer = new CarryBuffer(4);
    buffer.append(ByteString.copyFromUtf8("abc"));
    assertThatThrownBy(() -> buffer.append(ByteString.copyFromUtf8("de")))
        .isInstanceOf(CarryOverflowException.class)
        .hasMessage("carry buffer overflow: 3 B held + 2 B appended > capacity 4 B");
    assertThat(buffer.takeAll().toStringUtf8()).isEqualTo("abc");
  }
}
