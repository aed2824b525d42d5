package dev.extproc.app.e2e;

import dev.extproc.client.BodyDigest;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.extproc.transforms.ContentCoding;
import dev.extproc.transforms.DeflatingEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The streaming transforms through real Envoy: one server chains {@code limit,redact,json-mask}
 * (request bodies up to 4 MiB, default card rule, {@code password} masked). The echo backend sends
 * the transformed request body back, so the client sees what the upstream got (the response
 * direction runs the chain again; both transforms are idempotent on their own output).
 *
 * <p>Where a request is refused by a body-level error, Envoy can answer with the status only while
 * the response has not started: always on {@code /buffered} (Envoy holds the request headers until
 * the body is answered) and for a content-length over the limit; on the streaming routes the echo
 * may already have answered with headers, and then the refusal is a reset stream. Either way the
 * client never gets a complete 200.
 */
@ExtendWith(LocalStackExtension.class)
@StackConfig(serverArgs = {"--processor", "limit,redact,json-mask", "--max-request-body", "4MiB", "--json-mask-fields", "password"})
class TransformsE2eTest {

  static final List<Route> ROUTES = List.of(Route.STREAMED, Route.FULL_DUPLEX_STREAMED, Route.BUFFERED);

  static Stream<Arguments> everyRouteProtocolAndFraming() {
    List<Arguments> cases = new ArrayList<>();
    for (Route route : ROUTES) {
      for (Protocol protocol : Protocol.values()) {
        for (Framing framing : Framing.values()) {
          cases.add(Arguments.of(route, protocol, framing));
        }
      }
    }
    return cases.stream();
  }

  /** A JSON array of records with passwords and card numbers in free text, and what it becomes. */
  static String[] jsonWithSecrets(int records) {
    StringBuilder in = new StringBuilder("[");
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < records; i++) {
      String sep = i == 0 ? "" : ",\n";
      String record = "{\"id\": %d, \"password\": \"%s\", \"note\": \"paid with %s, ok \u00e9\u20ac\"}";
      in.append(sep).append(String.format(record, i, "pw-" + i * 7919, "4111 1111 1111 1111"));
      out.append(sep).append(String.format(record, i, "***", "**** **** **** 1111"));
    }
    return new String[] {in.append("]").toString(), out.append("]").toString()};
  }

  static BodyDigest.Result digestOf(byte[] bytes) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return new BodyDigest.Result(bytes.length, HexFormat.of().formatHex(sha.digest(bytes)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] gzip(byte[] plain) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
      out.write(plain);
    }
    return bytes.toByteArray();
  }

  static TestRequest post(Route route, byte[] body, Framing framing, String contentType) {
    return TestRequest.post(route.path(), BodySource.ofBytes(body), framing)
        .withHeader("content-type", contentType)
        .withTimeout(Duration.ofSeconds(30));
  }

  /** The exchange was refused with {@code status}, or (where the response had started) reset: never a complete 200. */
  static void assertRefused(TestResponse response, int status, boolean statusGuaranteed) {
    if (statusGuaranteed || response.outcome() == TestResponse.Outcome.COMPLETE) {
      assertThat(response.outcome()).as("outcome: %s", response).isEqualTo(TestResponse.Outcome.COMPLETE);
      assertThat(response.status()).as("status: %s", response).isEqualTo(status);
    } else {
      assertThat(response.outcome()).as("a refused stream after the response started: %s", response)
          .isIn(TestResponse.Outcome.RESET, TestResponse.Outcome.CONNECTION_CLOSED);
    }
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("everyRouteProtocolAndFraming")
  void redactsCardsAndMasksPasswordsByteExactly(Route route, Protocol protocol, Framing framing, E2eStack stack) {
    String[] json = jsonWithSecrets(3000); // about 300 KiB: several chunks, matches across their boundaries
    TestResponse response = stack.viaExtProc(protocol,
        post(route, json[0].getBytes(StandardCharsets.UTF_8), framing, "application/json"));
    assertThat(response.outcome()).as("%s", response).isEqualTo(TestResponse.Outcome.COMPLETE);
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo(digestOf(json[1].getBytes(StandardCharsets.UTF_8)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("streamingRoutesAndProtocols")
  void gzipBodiesAreDecodedTransformedAndReencoded(Route route, Protocol protocol, E2eStack stack) throws IOException {
    String[] json = jsonWithSecrets(5000);
    byte[] expectedPlain = json[1].getBytes(StandardCharsets.UTF_8);
    DeflatingEncoder encoder = new DeflatingEncoder(ContentCoding.GZIP, 6);
    ByteString reencoded = encoder.apply(ByteString.copyFrom(expectedPlain)).concat(encoder.finish());
    TestRequest request = post(route, gzip(json[0].getBytes(StandardCharsets.UTF_8)), Framing.CHUNKED, "application/json")
        .withHeader("content-encoding", "gzip");
    TestResponse response = stack.viaExtProc(protocol, request);
    assertThat(response.outcome()).as("%s", response).isEqualTo(TestResponse.Outcome.COMPLETE);
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).as("the upstream got the redacted body gzip-encoded again").isEqualTo(digestOf(reencoded.toByteArray()));
  }

  static Stream<Arguments> streamingRoutesAndProtocols() {
    List<Arguments> cases = new ArrayList<>();
    for (Route route : List.of(Route.STREAMED, Route.FULL_DUPLEX_STREAMED)) {
      for (Protocol protocol : Protocol.values()) {
        cases.add(Arguments.of(route, protocol));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("routes")
  void aDecompressionBombIsRefusedWith413(Route route, E2eStack stack) throws IOException {
    byte[] bomb = gzip(new byte[256 * 1024 * 1024]); // 256 MiB of zeros in about 256 KiB
    TestRequest request = post(route, bomb, Framing.CONTENT_LENGTH, "application/octet-stream")
        .withHeader("content-encoding", "gzip");
    assertRefused(stack.viaExtProc(Protocol.HTTP_1_1, request), 413, route == Route.BUFFERED);
  }

  static Stream<Route> routes() {
    return ROUTES.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("routes")
  void badBodiesAreRefusedClearly(Route route, E2eStack stack) throws IOException {
    boolean guaranteed = route == Route.BUFFERED;
    byte[] notGzip = "this is not gzip, though it says so".getBytes(StandardCharsets.US_ASCII);
    assertRefused(stack.viaExtProc(Protocol.HTTP_2,
        post(route, notGzip, Framing.CONTENT_LENGTH, "text/plain").withHeader("content-encoding", "gzip")), 400, guaranteed);

    byte[] badUtf8 = {'o', 'k', ' ', (byte) 0xc3, (byte) 0x28, '!'};
    assertRefused(stack.viaExtProc(Protocol.HTTP_1_1, post(route, badUtf8, Framing.CHUNKED, "text/plain; charset=utf-8")),
        400, guaranteed);

    byte[] truncated = "{\"password\": \"x\", \"list\": [1, 2".getBytes(StandardCharsets.US_ASCII);
    assertRefused(stack.viaExtProc(Protocol.HTTP_2, post(route, truncated, Framing.CHUNKED, "application/json")), 400, guaranteed);

    assertRefused(stack.viaExtProc(Protocol.HTTP_1_1,
        post(route, "x".getBytes(StandardCharsets.US_ASCII), Framing.CONTENT_LENGTH, "text/plain; charset=utf-16")), 415, true);

    // The same stack still serves good exchanges.
    String[] json = jsonWithSecrets(10);
    TestResponse ok = stack.viaExtProc(Protocol.HTTP_1_1, post(route, json[0].getBytes(StandardCharsets.UTF_8), Framing.CHUNKED, "application/json"));
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.body()).isEqualTo(digestOf(json[1].getBytes(StandardCharsets.UTF_8)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("routes")
  void aBodyOverTheLimitIs413BeforeAnyBytePassesOrAStreamThatNeverCompletes(Route route, E2eStack stack) {
    BodySource big = BodySource.ofLength(5L * 1024 * 1024);
    TestRequest byLength = TestRequest.post(route.path(), big, Framing.CONTENT_LENGTH).withHeader("content-type", "application/octet-stream");
    for (Protocol protocol : Protocol.values()) {
      assertRefused(stack.viaExtProc(protocol, byLength), 413, true);
      TestRequest growing = TestRequest.post(route.path(), big, Framing.CHUNKED).withHeader("content-type", "application/octet-stream");
      assertRefused(stack.viaExtProc(protocol, growing), 413, route == Route.BUFFERED);
    }
  }

  @Test
  void gzipRequestsOnBufferedFitAndComeBackReencoded(E2eStack stack) throws IOException {
    String[] json = jsonWithSecrets(200);
    DeflatingEncoder encoder = new DeflatingEncoder(ContentCoding.GZIP, 6);
    ByteString expected = encoder.apply(ByteString.copyFrom(json[1].getBytes(StandardCharsets.UTF_8))).concat(encoder.finish());
    TestResponse response = stack.viaExtProc(Protocol.HTTP_1_1,
        post(Route.BUFFERED, gzip(json[0].getBytes(StandardCharsets.UTF_8)), Framing.CONTENT_LENGTH, "application/json")
            .withHeader("content-encoding", "gzip"));
    assertThat(response.status()).as("%s", response).isEqualTo(200);
    assertThat(response.body()).isEqualTo(digestOf(expected.toByteArray()));
  }
}
