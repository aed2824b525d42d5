package dev.extproc.app.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.BodyMode;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Request trailers (HTTP/2, and HTTP/1.1 chunked) go through the processor and reach the upstream:
 * the echo backend (behind the stack's HTTP/1.1 cluster, as in the seed) answers with the
 * request's trailers as response trailers, which come back through the processor too. Where the
 * route's trailer mode is SEND, Envoy holds each trailer block until the processor answered it,
 * so a trailer the client gets back has passed the processor twice.
 */
@ExtendWith(LocalStackExtension.class)
class RequestTrailersE2eTest {

  static final Map<String, String> TRAILERS = Map.of("x-checksum", "abc123", "x-trailer-two", "2");

  static Stream<Arguments> routesAndProtocols() {
    return Stream.of(Route.values())
        .flatMap(route -> Stream.of(Protocol.values()).map(protocol -> Arguments.of(route, protocol)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("routesAndProtocols")
  void requestTrailersReachTheUpstreamAndComeBackAsResponseTrailers(Route route, Protocol protocol, E2eStack stack) {
    BodySource body = BodySource.ofLength(100 * 1024);
    InetSocketAddress target = route.extProc() ? stack.extProcListener() : stack.baselineListener();
    Map<String, Long> before = stack.serverStats();

    TestResponse response = stack.client(protocol)
        .exchange(target, TestRequest.post(route.path(), body, Framing.CHUNKED).withTrailers(TRAILERS));

    assertThat(response.outcome()).as("%s", response).isEqualTo(TestResponse.Outcome.COMPLETE);
    assertThat(response.status()).as("%s", response).isEqualTo(200);
    assertThat(response.body()).isEqualTo(body.expectedDigest());
    assertThat(response.trailers()).as("response trailers: %s", response)
        .containsEntry("x-checksum", List.of("abc123"))
        .containsEntry("x-trailer-two", List.of("2"));
    if (route.bodyMode() == BodyMode.BUFFERED) {
      // Exactly one message per phase: headers, body, trailers, in each direction.
      LocalStackExtension.awaitServerHoldsNothing(stack);
      assertThat(LocalStackExtension.delta(stack.serverStats(), before, "messages_received"))
          .as("ProcessingRequests the ext_proc server got for one BUFFERED exchange with trailers")
          .isEqualTo(6);
    }
  }
}
