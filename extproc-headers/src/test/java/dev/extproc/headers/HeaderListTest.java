package dev.extproc.headers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import org.junit.jupiter.api.Test;

class HeaderListTest {

  @Test
  void fromProto_takesRawValue_andFallsBackToValueForOlderPeers() {
    HeaderMap map = HeaderMap.newBuilder()
        .addHeaders(HeaderValue.newBuilder().setKey("x-raw").setRawValue(ByteString.copyFromUtf8("r")))
        .addHeaders(HeaderValue.newBuilder().setKey("X-Old").setValue("v"))
        .addHeaders(HeaderValue.newBuilder().setKey("x-raw").setRawValue(ByteString.copyFrom(new byte[] {(byte) 0xff})))
        .build();

    HeaderList headers = HeaderList.fromProto(map);

    assertThat(headers.get("X-RAW")).isEqualTo("r");
    assertThat(headers.get("x-old")).isEqualTo("v");
    assertThat(headers.raw("x-raw")).isEqualTo(ByteString.copyFromUtf8("r"));
    assertThat(headers.getAll("x-raw")).hasSize(2);
    assertThat(headers.names()).containsExactly("x-raw", "x-old");
    assertThat(headers.size()).isEqualTo(3);
    assertThat(headers.toStringWithValues()).isEqualTo("{x-raw: r, x-old: v, x-raw: 0xff}");
    assertThat(headers).hasToString("HeaderList[x-raw, x-old]");
  }

  @Test
  void rawOfAWireMap_readsInPlaceAsFromProtoWould() {
    HeaderMap map = HeaderMap.newBuilder()
        .addHeaders(HeaderValue.newBuilder().setKey("X-Old").setValue("v"))
        .addHeaders(HeaderValue.newBuilder().setKey("content-length").setRawValue(ByteString.copyFromUtf8("12")))
        .addHeaders(HeaderValue.newBuilder().setKey("content-length").setRawValue(ByteString.copyFromUtf8("99")))
        .build();
    HeaderList list = HeaderList.fromProto(map);

    for (String name : new String[] {"x-old", "X-OLD", "content-length", "Content-Length", "absent"}) {
      assertThat(HeaderList.raw(map, name)).as(name).isEqualTo(list.raw(name));
    }
    assertThat(HeaderList.raw(map, "x-old")).isEqualTo(ByteString.copyFromUtf8("v"));
    assertThat(HeaderList.raw(map, "content-length")).isEqualTo(ByteString.copyFromUtf8("12"));
    assertThat(HeaderList.parseContentLength(" 12 ")).isEqualTo(12);
    assertThat(HeaderList.parseContentLength("x")).isEqualTo(-1);
    assertThat(HeaderList.parseContentLength(null)).isEqualTo(-1);
  }

  @Test
  void toProto_writesRawValuesOnly_andRoundTrips() {
    HeaderList headers = HeaderList.of("A", "1", "b", "2");

    HeaderMap map = headers.toProto();

    assertThat(map.getHeaders(0).getKey()).isEqualTo("a");
    assertThat(map.getHeaders(0).getValue()).isEmpty();
    assertThat(map.getHeaders(0).getRawValue().toStringUtf8()).isEqualTo("1");
    assertThat(HeaderList.fromProto(map)).isEqualTo(headers);
  }

  @Test
  void edits_returnCopies_inPlace() {
    HeaderList headers = HeaderList.of("a", "1", "b", "2", "a", "3");

    assertThat(headers.with("A", "x").toStringWithValues()).isEqualTo("{a: x, b: 2}");
    assertThat(headers.set("b", ByteString.copyFromUtf8("4"), true).getAll("b")).containsExactly("2", "4");
    assertThat(headers.without("a").names()).containsExactly("b");
    assertThat(headers.without("zzz")).isSameAs(headers);
    assertThat(headers.getAll("a")).containsExactly("1", "3");
  }

  @Test
  void contentLength_isParsedOrMinusOne() {
    assertThat(HeaderList.of("content-length", " 42 ").contentLength()).isEqualTo(42);
    assertThat(HeaderList.of("content-length", "x").contentLength()).isEqualTo(-1);
    assertThat(HeaderList.empty().contentLength()).isEqualTo(-1);
  }

  @Test
  void oddNamesAndValues_areRejected() {
    assertThatThrownBy(() -> HeaderList.of("a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("namesAndValues: 1 strings (expected: an even number)");
  }
}
