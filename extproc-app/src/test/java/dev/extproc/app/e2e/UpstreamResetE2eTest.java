package dev.extproc.app.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The upstream resets mid-response (the echo backend's {@code --reset-after-bytes}: HTTP/1.1 closes
 * the connection after that many response body bytes): the client sees a reset or a 5xx, never a
 * complete 200, and the ext_proc server releases the stream (the extension waits for
 * {@code active_streams} and {@code bytes_held} to reach 0 after each test).
 */
@ExtendWith(LocalStackExtension.class)
@StackConfig(echoArgs = {"--reset-after-bytes", "" + UpstreamResetE2eTest.RESET_AFTER})
class UpstreamResetE2eTest {

  static final int RESET_AFTER = 256 * 1024;

  static Stream<Arguments> routesAndProtocols() {
    return Stream.of(Route.values())
        .flatMap(route -> Stream.of(Protocol.values()).map(protocol -> Arguments.of(route, protocol)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("routesAndProtocols")
  @ExpectsExtProcErrors
  void anUpstreamResetMidResponseReachesTheClientAndTheServerReleasesTheStream(
      Route route, Protocol protocol, E2eStack stack) {
    BodySource body = BodySource.ofLength(2L * 1024 * 1024);
    Map<String, Long> before = stack.serverStats();

    TestResponse response = stack.client(protocol).exchange(
        route.extProc() ? stack.extProcListener() : stack.baselineListener(),
        TestRequest.post(route.path(), body, Framing.CONTENT_LENGTH));
    System.out.println("upstream reset, " + route + " " + protocol + ": " + response);

    boolean reset = response.outcome() == TestResponse.Outcome.RESET
        || response.outcome() == TestResponse.Outcome.CONNECTION_CLOSED;
    boolean serverError = response.outcome() == TestResponse.Outcome.COMPLETE && response.status() >= 500;
    assertThat(reset || serverError).as("a reset or a 5xx: %s", response).isTrue();
    assertThat(response.body().length()).as("response body bytes before the reset").isLessThan(body.length());
    LocalStackExtension.awaitServerHoldsNothing(stack);
    if (route.extProc()) {
      // The stream ends exactly once and cleanly. Whether the server calls it cancelled or completed
      // depends on timing: when the reset reaches Envoy before it forwarded the response headers,
      // the only direction the server saw (the request) was fully answered, so it counts as completed.
      Map<String, Long> after = stack.serverStats();
      assertThat(LocalStackExtension.delta(after, before, "streams_cancelled")
              + LocalStackExtension.delta(after, before, "streams_completed"))
          .as("the exchange's stream ended once, cancelled or completed (before %s, after %s)", before, after)
          .isEqualTo(1);
      assertThat(LocalStackExtension.delta(after, before, "streams_failed"))
          .as("no failed stream (before %s, after %s)", before, after)
          .isZero();
    }
  }
}
