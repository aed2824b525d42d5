package dev.extproc.app.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.BodyMode;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every route of the real Envoy (one per body mode, and the baseline listener) echoes request
 * bodies byte for byte through the pass-through processor: sizes 0 B, 1 B, 64 KiB - 1, 1 MiB + 1
 * and 16 MiB, sent with a content-length and without one (HTTP/1.1 chunked, HTTP/2 DATA frames
 * only), from an HTTP/1.1 and an HTTP/2 client. Status and framing headers are asserted as Envoy
 * 1.40 really behaves (docs/envoy-behaviour.md).
 */
@ExtendWith(LocalStackExtension.class)
class BodyModesE2eTest {

  static final long KIB = 1024;
  static final long MIB = 1024 * KIB;
  static final long[] SIZES = {0, 1, 64 * KIB - 1, MIB + 1, 16 * MIB};

  static Stream<Arguments> exchanges() {
    List<Arguments> cases = new ArrayList<>();
    for (Route route : Route.values()) {
      for (long size : SIZES) {
        if (route == Route.BUFFERED_PARTIAL && size == MIB + 1) {
          // Envoy 1.40 loses the end of stream when it arrives while the partial chunk's reply is
          // pending (here: the whole body is one byte over the 1 MiB limit): the exchange hangs
          // until a timeout, intermittently. An Envoy bug, pinned by BufferedPartialEndOfStreamE2eTest;
          // see docs/envoy-behaviour.md.
          continue;
        }
        for (Framing framing : Framing.values()) {
          for (Protocol protocol : Protocol.values()) {
            cases.add(Arguments.of(route, size, framing, protocol));
          }
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} B {2} {3}")
  @MethodSource("exchanges")
  void echoesTheBodyByteForByte(Route route, long size, Framing framing, Protocol protocol, E2eStack stack) {
    BodySource body = BodySource.ofLength(size);
    InetSocketAddress target = route.extProc() ? stack.extProcListener() : stack.baselineListener();
    TestRequest request = TestRequest.post(route.path(), body, framing).withTimeout(timeoutFor(size));

    TestResponse response = stack.client(protocol).exchange(target, request);

    assertThat(response.outcome()).as("outcome of %s: %s", request, response).isEqualTo(TestResponse.Outcome.COMPLETE);
    assertThat(response.status()).as("status: %s", response).isEqualTo(200);
    assertThat(response.body()).as("response body of %s", request).isEqualTo(body.expectedDigest());
    assertThat(response.header("content-length"))
        .as("response content-length (%s %s %s): %s", route, framing, protocol, response)
        .isEqualTo(expectedContentLength(route, size, framing, protocol).map(String::valueOf));
    if (protocol == Protocol.HTTP_1_1) {
      assertThat(response.header("transfer-encoding"))
          .as("response transfer-encoding: %s", response)
          .isEqualTo(expectedContentLength(route, size, framing, protocol).isPresent()
              ? Optional.empty() : Optional.of("chunked"));
    }
  }

  /**
   * The content-length the client sees (docs/envoy-behaviour.md). The echo backend answers with the
   * content-length of the request it gets, if any (else chunked, or no length over HTTP/2). Envoy's
   * ext_proc filter removes content-length at header time in STREAMED, BUFFERED_PARTIAL and
   * FULL_DUPLEX_STREAMED, in both directions, and keeps it in BUFFERED (header mode SEND) and NONE.
   * A request without a body (end of stream on the headers: HTTP/2 with 0 bytes, or HTTP/1.1 with
   * content-length 0) reaches the HTTP/1.1 echo with {@code content-length: 0} and gets a
   * {@code content-length: 0} answer; where ext_proc removes it, Envoy's HTTP/1.1 codec writes
   * {@code content-length: 0} again for the bodiless response, the HTTP/2 codec does not.
   */
  static Optional<Long> expectedContentLength(Route route, long size, Framing framing, Protocol protocol) {
    boolean removedByExtProc = route.extProc()
        && (route.bodyMode() == BodyMode.STREAMED
            || route.bodyMode() == BodyMode.BUFFERED_PARTIAL
            || route.bodyMode() == BodyMode.FULL_DUPLEX_STREAMED);
    boolean bodilessRequest = size == 0 && (protocol == Protocol.HTTP_2 || framing == Framing.CONTENT_LENGTH);
    if (bodilessRequest) {
      return removedByExtProc && protocol == Protocol.HTTP_2 ? Optional.empty() : Optional.of(0L);
    }
    if (framing == Framing.CONTENT_LENGTH && !removedByExtProc) {
      return Optional.of(size);
    }
    return Optional.empty();
  }

  static Duration timeoutFor(long size) {
    return size >= 16 * MIB ? Duration.ofSeconds(60) : Duration.ofSeconds(20);
  }
}
