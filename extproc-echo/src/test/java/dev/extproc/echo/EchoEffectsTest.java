package dev.extproc.echo;

import static dev.extproc.echo.TestBodies.KIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each fault effect over real loopback connections. */
@Timeout(60)
class EchoEffectsTest {

  @Test
  void delayHeaders_holdsTheResponseForTheDelay() throws Exception {
    Duration delay = Duration.ofMillis(300);
    byte[] body = TestBodies.body(10 * KIB);
    try (EchoServer server = start(EchoEffect.delayHeaders(delay));
        Http1TestClient client = new Http1TestClient(server.port())) {
      long started = System.nanoTime();
      Http1TestClient.Response response = client.post("/slow", body, false);
      long elapsed = System.nanoTime() - started;

      assertThat(response.sha256()).isEqualTo(TestBodies.sha256(body));
      assertThat(Duration.ofNanos(elapsed)).isGreaterThanOrEqualTo(delay);
    }
  }

  @Test
  void delayHeaders_doesNotDelayHealthChecks() throws Exception {
    try (EchoServer server = start(EchoEffect.delayHeaders(Duration.ofSeconds(30)));
        Http1TestClient client = new Http1TestClient(server.port())) {
      client.writeHead("GET", "/healthz", Map.of());

      assertThat(client.readResponse().status()).isEqualTo(200);
    }
  }

  @Test
  void throttleBody_echoesNoFasterThanTheRate() throws Exception {
    long rate = 128 * KIB;
    byte[] body = TestBodies.body(64 * KIB);
    try (EchoServer server = start(EchoEffect.throttleBody(rate));
        Http1TestClient client = new Http1TestClient(server.port())) {
      long started = System.nanoTime();
      Http1TestClient.Response response = client.post("/throttled", body, true);
      long elapsed = System.nanoTime() - started;

      assertThat(response.sha256()).isEqualTo(TestBodies.sha256(body));
      // The first slice (rate / 20 bytes) goes at once; the rest waits for the rate.
      long minimumNanos = (body.length - rate / 20) * 1_000_000_000L / rate;
      assertThat(elapsed).isGreaterThanOrEqualTo(minimumNanos);
    }
  }

  @Test
  void throttleBody_overHttp2_echoesByteExact() throws Exception {
    byte[] body = TestBodies.body(40 * KIB);
    try (EchoServer server = start(EchoEffect.throttleBody(256 * KIB));
        Http2TestClient client = new Http2TestClient(server.port())) {
      Http2TestClient.Response response =
          client.post("/throttled", body, null).response().get(30, TimeUnit.SECONDS);

      assertThat(response.sha256()).isEqualTo(TestBodies.sha256(body));
    }
  }

  @Test
  void resetAfter_closesTheHttp1ConnectionAfterExactlyThatManyBytes() throws Exception {
    byte[] body = TestBodies.body(100 * KIB);
    try (EchoServer server = start(EchoEffect.resetAfter(10_000));
        Http1TestClient client = new Http1TestClient(server.port())) {
      client.writeHead("POST", "/reset", Map.of("content-length", Integer.toString(body.length)));
      client.out().write(body);
      client.out().flush();
      Http1TestClient.ResponseHead head = client.readHead();
      Http1TestClient.BodyReader reader = client.body(head);

      byte[] echoed = reader.readExactly(10_000);
      assertThatThrownBy(() -> reader.read(new byte[1], 0, 1))
          .isInstanceOf(EOFException.class)
          .hasMessageContaining("body bytes missing");
      assertThat(echoed).isEqualTo(java.util.Arrays.copyOf(body, 10_000));
    }
  }

  @Test
  void resetAfterZero_closesTheConnectionRightAfterTheHeaders() throws Exception {
    try (EchoServer server = start(EchoEffect.resetAfter(0));
        Http1TestClient client = new Http1TestClient(server.port())) {
      client.writeHead("POST", "/reset", Map.of("transfer-encoding", "chunked"));
      Http1TestClient.ResponseHead head = client.readHead();

      assertThat(head.status()).isEqualTo(200);
      assertThat(client.isClosedByServer()).isTrue();
    }
  }

  @Test
  void resetAfter_sendsRstStreamOverHttp2AfterExactlyThatManyBytes() throws Exception {
    byte[] body = TestBodies.body(100 * KIB);
    try (EchoServer server = start(EchoEffect.resetAfter(10_000));
        Http2TestClient client = new Http2TestClient(server.port())) {
      Http2TestClient.Stream stream = client.post("/reset", body, null);

      assertThatThrownBy(() -> stream.response().get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOfSatisfying(
              Http2TestClient.StreamResetException.class,
              reset -> {
                assertThat(reset.errorCode).isEqualTo(0x8); // CANCEL
                assertThat(reset.receivedBytes).isEqualTo(10_000);
              });
    }
  }

  @Test
  void bodyShorterThanTheResetThreshold_endsNormally() throws Exception {
    byte[] body = TestBodies.body(5_000);
    try (EchoServer server = start(EchoEffect.resetAfter(10_000));
        Http1TestClient client = new Http1TestClient(server.port())) {
      assertThat(client.post("/short", body, true).sha256()).isEqualTo(TestBodies.sha256(body));
    }
  }

  private static EchoServer start(EchoEffect... effects) {
    EchoServer server = EchoServer.builder().port(0).ioThreads(1).effects(effects).build();
    server.start();
    return server;
  }
}
