package dev.extproc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The field walk of {@link AliasingParser#parseBodyMessage}: the message it builds equals
 * protobuf's own parse, the body is a slice of the input (no copy), and nothing else aliases it.
 */
class AliasingParserTest {

  /** {@code bytes} split into direct buffers of {@code piece} bytes, as one rope (gRPC's frames). */
  private static ByteString inDirectPieces(byte[] bytes, int piece) {
    List<ByteString> pieces = new ArrayList<>();
    for (int start = 0; start < bytes.length; start += piece) {
      int length = Math.min(piece, bytes.length - start);
      ByteBuffer buffer = ByteBuffer.allocateDirect(length);
      buffer.put(bytes, start, length).flip();
      pieces.add(UnsafeByteOperations.unsafeWrap(buffer));
    }
    return ByteString.copyFrom(pieces);
  }

  private static ByteString randomBytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return ByteString.copyFrom(bytes);
  }

  @Test
  void bodyMessagesParseAsProtobufDoesWithTheBodyAliasingTheInput() throws Exception {
    Metadata typed = Metadata.newBuilder()
        .putTypedFilterMetadata("f", Any.newBuilder().setTypeUrl("t").setValue(ByteString.copyFromUtf8("typed")).build())
        .build();
    List<ProcessingRequest> messages = List.of(
        ProcessingRequest.newBuilder().setRequestBody(HttpBody.newBuilder().setBody(randomBytes(100_000, 1))).build(),
        ProcessingRequest.newBuilder().setResponseBody(HttpBody.newBuilder().setBody(randomBytes(70_000, 2))
            .setEndOfStream(true)).setMetadataContext(typed)
            .putAttributes("envoy.filters.http.ext_proc", Struct.newBuilder()
                .putFields("request.path", Value.newBuilder().setStringValue("/x").build()).build())
            .setProtocolConfig(ProtocolConfiguration.newBuilder().setSendBodyWithoutWaitingForHeaderResponse(true))
            .build(),
        ProcessingRequest.newBuilder().setRequestBody(HttpBody.newBuilder().setEndOfStream(true)).build());
    for (ProcessingRequest expected : messages) {
      for (int piece : new int[] {16 * 1024, 1000, 7}) {
        ByteString wire = inDirectPieces(expected.toByteArray(), piece);
        ProcessingRequest parsed = AliasingParser.parseBodyMessage(wire);
        assertThat(parsed).as("piece %d", piece).isEqualTo(expected);
        ByteString body = Messages.body(parsed);
        if (piece == 16 * 1024 && !body.isEmpty()) {
          long direct = body.asReadOnlyByteBufferList().stream().filter(ByteBuffer::isDirect)
              .mapToLong(ByteBuffer::remaining).sum();
          assertThat(direct).as("body bytes aliasing the direct input").isGreaterThan(body.size() * 99L / 100);
        }
        if (parsed.hasMetadataContext()) {
          assertThat(parsed.getMetadataContext().getTypedFilterMetadataOrThrow("f").getValue()
              .asReadOnlyByteBufferList().stream().noneMatch(ByteBuffer::isDirect)).as("metadata on the heap").isTrue();
        }
      }
    }
  }

  @Test
  void messagesWithoutABodyFieldAreLeftToProtobuf() throws Exception {
    ProcessingRequest headers = ProcessingRequest.newBuilder().setRequestHeaders(HttpHeaders.newBuilder()
        .setHeaders(HeaderMap.newBuilder().addHeaders(HeaderValue.newBuilder().setKey("k")
            .setRawValue(ByteString.copyFromUtf8("v"))))).build();
    assertThat(AliasingParser.parseBodyMessage(inDirectPieces(headers.toByteArray(), 5))).isNull();
  }

  @Test
  void garbageThrows() {
    byte[] garbage = new byte[64];
    java.util.Arrays.fill(garbage, (byte) 0xFF);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> AliasingParser.parseBodyMessage(inDirectPieces(garbage, 16)))
        .isInstanceOf(java.io.IOException.class);
  }
}
