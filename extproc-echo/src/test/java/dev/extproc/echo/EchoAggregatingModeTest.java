package dev.extproc.echo;

import static dev.extproc.echo.TestBodies.KIB;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(60)
class EchoAggregatingModeTest {

  private static final int LIMIT = 256 * KIB;

  private EchoServer server;
  private int port;

  @BeforeEach
  void start() {
    server = EchoServer.builder().port(0).ioThreads(1).mode(EchoMode.aggregating(LIMIT)).build();
    port = server.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @ParameterizedTest(name = "chunked={0}")
  @ValueSource(booleans = {false, true})
  void bodyWithinTheLimit_isEchoedWithAContentLength(boolean chunked) throws Exception {
    byte[] body = TestBodies.body(LIMIT);
    try (Http1TestClient client = new Http1TestClient(port)) {
      Http1TestClient.Response response = client.post("/echo", body, chunked);

      assertThat(response.status()).isEqualTo(200);
      assertThat(response.headers())
          .containsEntry("content-length", Integer.toString(LIMIT))
          .doesNotContainKey("transfer-encoding");
      assertThat(response.sha256()).isEqualTo(TestBodies.sha256(body));
    }
  }

  @Test
  void contentLengthOverTheLimit_gets413() throws Exception {
    try (Http1TestClient client = new Http1TestClient(port)) {
      client.writeHead("POST", "/echo", Map.of("content-length", Integer.toString(LIMIT + 1)));
      Http1TestClient.ResponseHead head = client.readHead();

      assertThat(head.status()).isEqualTo(413);
    }
  }

  @Test
  void chunkedBodyOverTheLimit_gets413() throws Exception {
    byte[] body = TestBodies.body(LIMIT + 1);
    try (Http1TestClient client = new Http1TestClient(port)) {
      client.writeHead("POST", "/echo", Map.of("transfer-encoding", "chunked"));
      for (int off = 0; off < body.length; off += 8 * KIB) {
        client.writeChunk(body, off, Math.min(8 * KIB, body.length - off));
      }
      Http1TestClient.ResponseHead head = client.readHead();

      assertThat(head.status()).isEqualTo(413);
    }
  }

  @Test
  void getHealthz_answersOk() throws Exception {
    try (Http1TestClient client = new Http1TestClient(port)) {
      client.writeHead("GET", "/healthz", Map.of());
      Http1TestClient.Response response = client.readResponse();

      assertThat(response.status()).isEqualTo(200);
      assertThat(response.bodyBytes()).isEqualTo(2);
    }
  }
}
