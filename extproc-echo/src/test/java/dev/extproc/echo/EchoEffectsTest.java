package dev.extproc.echo;

import static dev.extproc.echo.EchoRequests.digest;
import static dev.extproc.echo.EchoRequests.local;
import static dev.extproc.echo.EchoRequests.post;
import static dev.extproc.echo.TestBodies.KIB;
import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.client.BodyFraming;
import dev.extproc.client.HttpClient;
import dev.extproc.client.HttpProtocol;
import dev.extproc.client.Request;
import dev.extproc.client.RequestBody;
import dev.extproc.client.Response;
import dev.extproc.client.UploadGate;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each fault effect over real loopback connections. */
@Timeout(60)
class EchoEffectsTest {

  private final HttpClient client = new HttpClient();

  @AfterEach
  void closeClient() {
    client.close();
  }

  @Test
  void delayHeaders_holdsTheResponseForTheDelay() throws Exception {
    Duration delay = Duration.ofMillis(300);
    byte[] body = TestBodies.body(10 * KIB);
    try (EchoServer server = start(EchoEffect.delayHeaders(delay))) {
      long started = System.nanoTime();
      Response response = client.exchange(local(server.port()), HttpProtocol.HTTP_1_1, post("/slow", body, false));
      long elapsed = System.nanoTime() - started;

      assertThat(response.body()).isEqualTo(digest(body));
      assertThat(Duration.ofNanos(elapsed)).isGreaterThanOrEqualTo(delay);
    }
  }

  @Test
  void delayHeaders_doesNotDelayHealthChecks() throws Exception {
    try (EchoServer server = start(EchoEffect.delayHeaders(Duration.ofSeconds(30)))) {
      Response response = client.exchange(local(server.port()), HttpProtocol.HTTP_1_1,
          Request.of("GET", "/healthz").withTimeout(Duration.ofSeconds(10)));

      assertThat(response.status()).isEqualTo(200);
    }
  }

  @Test
  void throttleBody_echoesNoFasterThanTheRate() throws Exception {
    long rate = 128 * KIB;
    byte[] body = TestBodies.body(64 * KIB);
    try (EchoServer server = start(EchoEffect.throttleBody(rate))) {
      long started = System.nanoTime();
      Response response = client.exchange(local(server.port()), HttpProtocol.HTTP_1_1, post("/throttled", body, true));
      long elapsed = System.nanoTime() - started;

      assertThat(response.body()).isEqualTo(digest(body));
      // The first slice (rate / 20 bytes) goes at once; the rest waits for the rate.
      long minimumNanos = (body.length - rate / 20) * 1_000_000_000L / rate;
      assertThat(elapsed).isGreaterThanOrEqualTo(minimumNanos);
    }
  }

  @Test
  void throttleBody_overHttp2_echoesByteExact() throws Exception {
    byte[] body = TestBodies.body(40 * KIB);
    try (EchoServer server = start(EchoEffect.throttleBody(256 * KIB))) {
      Response response = client.exchange(local(server.port()), HttpProtocol.HTTP_2, post("/throttled", body, true));

      assertThat(response.body()).isEqualTo(digest(body));
    }
  }

  @Test
  void resetAfter_closesTheHttp1ConnectionAfterExactlyThatManyBytes() throws Exception {
    byte[] body = TestBodies.body(100 * KIB);
    try (EchoServer server = start(EchoEffect.resetAfter(10_000))) {
      Response response = client.exchange(local(server.port()), HttpProtocol.HTTP_1_1, post("/reset", body, false));

      assertThat(response.outcome()).as("%s", response).isEqualTo(Response.Outcome.CONNECTION_CLOSED);
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.body()).isEqualTo(digest(body, 10_000));
    }
  }

  @Test
  void resetAfterZero_closesTheConnectionRightAfterTheHeaders() throws Exception {
    try (EchoServer server = start(EchoEffect.resetAfter(0))) {
      UploadGate gate = new UploadGate(0); // the request head only, the chunked body never ends
      Response response = client.exchange(local(server.port()), HttpProtocol.HTTP_1_1,
          Request.post("/reset", RequestBody.empty(), BodyFraming.CHUNKED).withGate(gate));

      assertThat(response.outcome()).as("%s", response).isEqualTo(Response.Outcome.CONNECTION_CLOSED);
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.body().length()).isZero();
    }
  }

  @Test
  void resetAfter_sendsRstStreamOverHttp2AfterExactlyThatManyBytes() throws Exception {
    byte[] body = TestBodies.body(100 * KIB);
    try (EchoServer server = start(EchoEffect.resetAfter(10_000))) {
      Response response = client.exchange(local(server.port()), HttpProtocol.HTTP_2, post("/reset", body, true));

      assertThat(response.outcome()).as("%s", response).isEqualTo(Response.Outcome.RESET);
      assertThat(response.detail()).isEqualTo("RST_STREAM CANCEL");
      assertThat(response.body()).isEqualTo(digest(body, 10_000));
    }
  }

  @Test
  void bodyShorterThanTheResetThreshold_endsNormally() throws Exception {
    byte[] body = TestBodies.body(5_000);
    try (EchoServer server = start(EchoEffect.resetAfter(10_000))) {
      Response response = client.exchange(local(server.port()), HttpProtocol.HTTP_1_1, post("/short", body, true));
      assertThat(response.isCompleteOk()).as("%s", response).isTrue();
      assertThat(response.body()).isEqualTo(digest(body));
    }
  }

  private static EchoServer start(EchoEffect... effects) {
    EchoServer server = EchoServer.builder().port(0).ioThreads(1).effects(effects).build();
    server.start();
    return server;
  }
}
