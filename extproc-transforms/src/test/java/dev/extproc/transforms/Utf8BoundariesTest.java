package dev.extproc.transforms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8BoundariesTest {

  @Test
  void neverSplitsACharacterAtAnyCut() throws java.nio.charset.CharacterCodingException {
    ByteString body = ByteString.copyFromUtf8("aé€𝄞z — ünïcødé 😀!");
    for (int cut = 0; cut <= body.size(); cut++) {
      Utf8Boundaries boundaries = new Utf8Boundaries();
      StringBuilder decoded = new StringBuilder();
      for (ByteString chunk : Chunkings.splitAt(body, cut)) {
        ByteString out = boundaries.apply(chunk);
        // Each output piece decodes on its own: no character is split.
        assertThat(StandardCharsets.UTF_8.newDecoder().decode(out.asReadOnlyByteBuffer()).toString())
            .isEqualTo(out.toStringUtf8());
        decoded.append(out.toStringUtf8());
      }
      boundaries.finish();
      assertThat(decoded.toString()).as("cut %d", cut).isEqualTo(body.toStringUtf8());
    }
  }

  @Test
  void refusesInvalidUtf8WithItsOffset() {
    assertThatThrownBy(() -> new Utf8Boundaries().apply(ByteString.copyFrom(new byte[] {'a', 'b', (byte) 0xc0, (byte) 0x80})))
        .isInstanceOf(TransformException.class).hasMessage("invalid UTF-8: byte 0xc0 at offset 2");
    assertThatThrownBy(() -> new Utf8Boundaries().apply(ByteString.copyFrom(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80})))
        .hasMessageContaining("byte 0xa0 at offset 1"); // a surrogate
    Utf8Boundaries truncated = new Utf8Boundaries();
    truncated.apply(ByteString.copyFrom(new byte[] {'x', (byte) 0xe2, (byte) 0x82}));
    assertThatThrownBy(truncated::finish).hasMessageContaining("ends inside a character at byte 1");
  }

  @Test
  void charsetsOtherThanAsciiCompatibleOnesAreRefused() {
    assertThat(TextCharset.of("text/plain; charset=\"UTF-8\"").expectsUtf8()).isTrue();
    assertThat(TextCharset.of("application/problem+json").isJson()).isTrue();
    TextCharset.of("text/plain; charset=iso-8859-1").requireAsciiCompatible("redact");
    assertThatThrownBy(() -> TextCharset.of("text/plain; charset=utf-16").requireAsciiCompatible("redact"))
        .hasMessage("redact: charset utf-16 is not supported (expected: utf-8, us-ascii or iso-8859-1)");
  }
}
