package dev.extproc.app.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Faults around the ext_proc server, through the real Envoy: the server down, the server killed
 * mid-upload, the client aborting mid-upload. Each test provokes its fault on the class's stack and
 * leaves the server running again (the extension restarts it if a test could not).
 */
@ExtendWith(LocalStackExtension.class)
class ExtProcFaultsE2eTest {

  static final int MIB = 1024 * 1024;
  /** "Fast" for a 5xx while the ext_proc server is down: far below the 30 s message timeout. */
  static final Duration FAST = Duration.ofSeconds(5);

  @ParameterizedTest(name = "{0}")
  @EnumSource(Protocol.class)
  @ExpectsExtProcErrors
  void serverDownGivesA5xxFastAndTheNextRequestAfterARestartSucceeds(Protocol protocol, E2eStack stack) {
    long failedBefore = stack.envoyExtProcStats().streamsFailed();
    stack.stack().stopExtProcServer();
    BodySource body = BodySource.ofLength(64 * 1024);

    TestResponse whileDown = stack.viaExtProc(protocol, TestRequest.post("/streamed", body, Framing.CONTENT_LENGTH));
    System.out.println("server down, " + protocol + ": " + whileDown);

    assertThat(whileDown.outcome()).as("while the server is down: %s", whileDown).isEqualTo(TestResponse.Outcome.COMPLETE);
    assertThat(whileDown.status()).as("status while the server is down: %s", whileDown).isBetween(500, 599);
    assertThat(whileDown.elapsed()).as("time to the 5xx: %s", whileDown).isLessThan(FAST);
    assertThat(stack.envoyExtProcStats().streamsFailed()).as("Envoy streams_failed").isGreaterThan(failedBefore);

    stack.stack().startExtProcServer();
    TestResponse afterRestart = stack.viaExtProc(protocol, TestRequest.post("/streamed", body, Framing.CONTENT_LENGTH));

    assertThat(afterRestart.status()).as("first request after the restart: %s", afterRestart).isEqualTo(200);
    assertThat(afterRestart.body()).isEqualTo(body.expectedDigest());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Protocol.class)
  @ExpectsExtProcErrors
  void serverKilledMidUploadGivesA5xxOrAResetAndNothingHangs(Protocol protocol, E2eStack stack) {
    BodySource body = BodySource.ofLength(8L * MIB);
    UploadGate gate = new UploadGate(MIB);
    Map<String, Long> before = stack.serverStats();
    CompletableFuture<TestResponse> exchange = stack.client(protocol).start(
        stack.extProcListener(),
        TestRequest.post("/streamed", body, Framing.CONTENT_LENGTH).withGate(gate).withTimeout(Duration.ofSeconds(20)));
    gate.awaitReached();
    awaitServerSawBody(stack, before);

    stack.stack().killExtProcServer();
    gate.resume();
    TestResponse response = exchange.join();
    System.out.println("server killed mid-upload, " + protocol + ": " + response);

    assertThat(response.outcome() == TestResponse.Outcome.COMPLETE ? response.status() >= 500 && response.status() <= 599
            : response.outcome() == TestResponse.Outcome.RESET || response.outcome() == TestResponse.Outcome.CONNECTION_CLOSED)
        .as("a 5xx or a reset after the ext_proc server was killed mid-upload: %s", response)
        .isTrue();
    stack.stack().startExtProcServer();
    TestResponse next = stack.viaExtProc(protocol, TestRequest.post("/streamed", BodySource.ofLength(1000), Framing.CHUNKED));
    assertThat(next.status()).as("first request after the restart: %s", next).isEqualTo(200);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("streamingRoutesAndProtocols")
  @ExpectsExtProcErrors
  void clientAbortMidUploadCancelsTheExtProcStreamAndReleasesEverything(Route route, Protocol protocol, E2eStack stack) {
    BodySource body = BodySource.ofLength(4L * MIB);
    UploadGate gate = new UploadGate(MIB / 2);
    Map<String, Long> before = stack.serverStats();
    CompletableFuture<TestResponse> exchange = stack.client(protocol).start(
        stack.extProcListener(), TestRequest.post(route.path(), body, Framing.CONTENT_LENGTH).withGate(gate));
    gate.awaitReached();
    awaitServerSawBody(stack, before);

    gate.abort();
    TestResponse response = exchange.join();
    System.out.println("client abort, " + route + " " + protocol + ": " + response);

    assertThat(response.outcome()).as("client side: %s", response).isEqualTo(TestResponse.Outcome.CLIENT_ABORTED);
    LocalStackExtension.awaitServerHoldsNothing(stack);
    Map<String, Long> after = stack.serverStats();
    assertThat(LocalStackExtension.delta(after, before, "streams_cancelled"))
        .as("ext_proc server streams_cancelled (before %s, after %s)", before, after)
        .isEqualTo(1);
    assertThat(LocalStackExtension.delta(after, before, "streams_completed")).as("streams_completed").isZero();
    assertThat(stack.envoyExtProcStats().spuriousMsgsReceived()).as("Envoy spurious_msgs_received").isZero();
  }

  static Stream<Arguments> streamingRoutesAndProtocols() {
    return Stream.of(Route.STREAMED, Route.FULL_DUPLEX_STREAMED, Route.BUFFERED, Route.BUFFERED_PARTIAL)
        .flatMap(route -> Stream.of(Protocol.values())
            .map(protocol -> Arguments.of(route, protocol)));
  }

  /**
   * Waits until the ext_proc server has the exchange's stream open and has received at least one
   * message after the request headers (so the fault hits an exchange the server is part of). In
   * BUFFERED mode no body message comes before the end of the body: there the headers suffice.
   */
  private static void awaitServerSawBody(E2eStack stack, Map<String, Long> before) {
    Awaitility.await("the ext_proc server has the stream open")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> {
          Map<String, Long> now = stack.serverStats();
          return now.getOrDefault("active_streams", 0L) == 1
              && LocalStackExtension.delta(now, before, "messages_received") >= 1;
        });
  }
}
