package dev.extproc.transforms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JsonMaskTransformTest {

  private static JsonMaskTransform mask(String fields) {
    return new JsonMaskTransform(JsonMaskRule.parseList(fields), 1024 * 1024, 1024 * 1024);
  }

  private static void assertAtEveryCut(String fields, String in, String expected) {
    ByteString body = ByteString.copyFromUtf8(in);
    for (int cut = 0; cut <= body.size(); cut++) {
      assertThat(Chunkings.run(mask(fields), Chunkings.splitAt(body, cut)).toStringUtf8())
          .as("cut at %d", cut).isEqualTo(expected);
    }
    assertThat(Chunkings.run(mask(fields), Chunkings.fixed(body, 1)).toStringUtf8()).isEqualTo(expected);
  }

  @Test
  void masksNamedFieldsAtAnyDepthAndKeepsEveryOtherByte() {
    assertAtEveryCut("password",
        "{ \"user\" : \"ann\",\n  \"password\" :\t\"s3cr\\\"et\", \"n\": 1.50e3, \"deep\": {\"password\": {\"a\": [1, 2]}}}",
        "{ \"user\" : \"ann\",\n  \"password\" :\t\"***\", \"n\": 1.50e3, \"deep\": {\"password\": \"***\"}}");
  }

  @Test
  void masksByJsonPointerIncludingArrayElements() {
    assertAtEveryCut("/user/ssn,/cards/1",
        "{\"ssn\":\"top\",\"user\":{\"ssn\":\"123-45\",\"x\":true},\"cards\":[\"a\",\"b\",{\"c\":3}]}",
        "{\"ssn\":\"top\",\"user\":{\"ssn\":\"***\",\"x\":true},\"cards\":[\"a\",\"***\",{\"c\":3}]}");
  }

  @Test
  void dropsMembersWithTheirCommas() {
    assertAtEveryCut("token:drop",
        "{\"token\": \"t1\", \"a\": 1, \"token\": {\"x\": [1]}, \"b\": 2, \"token\": null}",
        "{\"a\": 1, \"b\": 2}");
    assertAtEveryCut("token:drop", "{\"token\":1}", "{}");
    assertAtEveryCut("token:drop,x:drop", "[{\"token\":1,\"x\":2,\"k\":3},{\"k\":4,\"token\":5}]", "[{\"k\":3},{\"k\":4}]");
  }

  @Test
  void largeBodiesUnderRandomChunkingsMatchTheWholeBodyResult() {
    StringBuilder in = new StringBuilder("[");
    StringBuilder expected = new StringBuilder("[");
    Random random = new Random(3);
    for (int i = 0; i < 20_000; i++) {
      String sep = i == 0 ? "" : ",\n ";
      String value = "v" + random.nextInt(1_000_000);
      in.append(sep).append("{\"id\": ").append(i).append(", \"password\": \"").append(value).append("\", \"ok\": [true, false]}");
      expected.append(sep).append("{\"id\": ").append(i).append(", \"password\": \"***\", \"ok\": [true, false]}");
    }
    in.append("]");
    expected.append("]");
    ByteString body = ByteString.copyFromUtf8(in.toString());
    for (int maxChunk : new int[] {16, 4096, 1024 * 1024}) {
      JsonMaskTransform transform = mask("password");
      assertThat(Chunkings.run(transform, Chunkings.random(body, random, maxChunk)).toStringUtf8()).isEqualTo(expected.toString());
      assertThat(transform.maskedCount()).isEqualTo(20_000);
    }
  }

  @Test
  void truncatedOrMalformedJsonIsA400() {
    assertThatThrownBy(() -> Chunkings.run(mask("a"), List.of(ByteString.copyFromUtf8("{\"a\": \"x\", \"b\": [1, 2"))))
        .isInstanceOf(TransformException.class)
        .hasMessageContaining("json-mask: ")
        .satisfies(e -> assertThat(((TransformException) e).status()).isEqualTo(400));
    assertThatThrownBy(() -> Chunkings.run(mask("a"), List.of(ByteString.copyFromUtf8("{\"a\" 1}"))))
        .isInstanceOf(TransformException.class).hasMessageContaining("malformed JSON");
    ByteString invalidUtf8 = ByteString.copyFromUtf8("{\"b\": \"x").concat(ByteString.copyFrom(new byte[] {(byte) 0xff}))
        .concat(ByteString.copyFromUtf8("\"}"));
    assertThatThrownBy(() -> Chunkings.run(mask("a"), List.of(invalidUtf8)))
        .isInstanceOf(TransformException.class).hasMessageContaining("malformed JSON");
  }
}
