package dev.extproc.app.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.BodyMode;
import dev.extproc.stack.EnvoyEndpoints;
import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * HTTP/2 request trailers go through the processor and reach the upstream: the stack speaks
 * HTTP/2 to the echo backend (HTTP/1.1 upstreams drop trailers unless enabled), which answers with
 * the request's trailers as response trailers; those come back through the processor too. Where
 * the route's trailer mode is SEND, Envoy holds each trailer block until the processor answered
 * it, so a trailer the client gets back has passed the processor twice.
 */
@ExtendWith(LocalStackExtension.class)
@StackConfig(echoProtocol = EnvoyEndpoints.UpstreamProtocol.HTTP2)
class RequestTrailersE2eTest {

  static final Map<String, String> TRAILERS = Map.of("x-checksum", "abc123", "x-trailer-two", "2");

  @ParameterizedTest(name = "{0}")
  @EnumSource(Route.class)
  void requestTrailersReachTheUpstreamAndComeBackAsResponseTrailers(Route route, E2eStack stack) {
    BodySource body = BodySource.ofLength(100 * 1024);
    InetSocketAddress target = route.extProc() ? stack.extProcListener() : stack.baselineListener();
    Map<String, Long> before = stack.serverStats();

    TestResponse response = stack.client(Protocol.HTTP_2)
        .exchange(target, TestRequest.post(route.path(), body, Framing.CHUNKED).withTrailers(TRAILERS));

    assertThat(response.outcome()).as("%s", response).isEqualTo(TestResponse.Outcome.COMPLETE);
    assertThat(response.status()).as("%s", response).isEqualTo(200);
    assertThat(response.body()).isEqualTo(body.expectedDigest());
    assertThat(response.trailers()).as("response trailers: %s", response)
        .containsEntry("x-checksum", java.util.List.of("abc123"))
        .containsEntry("x-trailer-two", java.util.List.of("2"));
    if (route.bodyMode() == BodyMode.BUFFERED) {
      // Exactly one message per phase: headers, body, trailers, in each direction.
      LocalStackExtension.awaitServerHoldsNothing(stack);
      assertThat(LocalStackExtension.delta(stack.serverStats(), before, "messages_received"))
          .as("ProcessingRequests the ext_proc server got for one BUFFERED exchange with trailers")
          .isEqualTo(6);
    }
  }
}
