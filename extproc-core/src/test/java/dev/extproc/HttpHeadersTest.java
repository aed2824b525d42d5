package dev.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.extproc.headers.HeaderList;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import org.junit.jupiter.api.Test;

class HttpHeadersTest {
  private static final HeaderMap WIRE = HeaderMap.newBuilder()
      .addHeaders(HeaderValue.newBuilder().setKey(":method").setRawValue(ByteString.copyFromUtf8("POST")))
      .addHeaders(HeaderValue.newBuilder().setKey("Content-Length").setRawValue(ByteString.copyFromUtf8("1024")))
      .addHeaders(HeaderValue.newBuilder().setKey("x-old").setValue("legacy"))
      .addHeaders(HeaderValue.newBuilder().setKey("x-multi").setRawValue(ByteString.copyFromUtf8("a")))
      .addHeaders(HeaderValue.newBuilder().setKey("x-multi").setRawValue(ByteString.copyFrom(new byte[] {(byte) 0xff})))
      .build();

  @Test
  void aViewOfAWireMap_answersLikeTheHeaderList_beforeAndAfterTheListIsMade() {
    HeaderList expected = HeaderList.fromProto(WIRE);
    HttpHeaders headers = HttpHeaders.of(WIRE);

    // Single lookups first: these read the wire map in place.
    assertLookupsMatch(headers, expected);
    assertThat(headers.size()).isEqualTo(5);
    assertThat(headers.isEmpty()).isFalse();
    assertThat(headers.contentLength()).isEqualTo(1024);
    assertThat(headers.toProto()).isSameAs(WIRE);

    // These need every entry: the list is made, and the lookups still agree.
    assertThat(headers.names()).containsExactly(":method", "content-length", "x-old", "x-multi");
    assertThat(headers.getAll("X-Multi")).isEqualTo(expected.getAll("x-multi"));
    assertLookupsMatch(headers, expected);
    assertThat(headers).hasToString("HttpHeaders[:method, content-length, x-old, x-multi]");
  }

  @Test
  void anEmptyMap_isEmpty_withoutContentLength() {
    HttpHeaders headers = HttpHeaders.of(HeaderMap.getDefaultInstance());
    assertThat(headers.isEmpty()).isTrue();
    assertThat(headers.size()).isZero();
    assertThat(headers.contentLength()).isEqualTo(-1);
    assertThat(headers.get("content-length")).isNull();
    assertThat(headers.names()).isEmpty();
  }

  private static void assertLookupsMatch(HttpHeaders headers, HeaderList expected) {
    for (String name : new String[] {":method", "content-length", "CONTENT-LENGTH", "x-old", "x-multi", "absent"}) {
      assertThat(headers.raw(name)).as("raw " + name).isEqualTo(expected.raw(name));
      assertThat(headers.get(name)).as("get " + name).isEqualTo(expected.get(name));
      assertThat(headers.contains(name)).as("contains " + name).isEqualTo(expected.contains(name));
    }
  }
}
