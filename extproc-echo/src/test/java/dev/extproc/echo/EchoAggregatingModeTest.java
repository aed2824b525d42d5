package dev.extproc.echo;

import static dev.extproc.echo.EchoRequests.digest;
import static dev.extproc.echo.EchoRequests.local;
import static dev.extproc.echo.EchoRequests.post;
import static dev.extproc.echo.TestBodies.KIB;
import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.client.BodyFraming;
import dev.extproc.client.GeneratedBody;
import dev.extproc.client.HttpClient;
import dev.extproc.client.HttpProtocol;
import dev.extproc.client.Request;
import dev.extproc.client.Response;
import dev.extproc.client.UploadGate;
import java.util.List;
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
  private final HttpClient client = new HttpClient();

  @BeforeEach
  void start() {
    server = EchoServer.builder().port(0).ioThreads(1).mode(EchoMode.aggregating(LIMIT)).build();
    port = server.start();
  }

  @AfterEach
  void stop() {
    try {
      client.close();
    } finally {
      server.close();
    }
  }

  @ParameterizedTest(name = "chunked={0}")
  @ValueSource(booleans = {false, true})
  void bodyWithinTheLimit_isEchoedWithAContentLength(boolean chunked) throws Exception {
    byte[] body = TestBodies.body(LIMIT);
    Response response = client.exchange(local(port), HttpProtocol.HTTP_1_1, post("/echo", body, chunked));

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.headers())
        .containsEntry("content-length", List.of(Integer.toString(LIMIT)))
        .doesNotContainKey("transfer-encoding");
    assertThat(response.body()).isEqualTo(digest(body));
  }

  @Test
  void contentLengthOverTheLimit_gets413() throws Exception {
    // The head announces one byte too many; the body is held back: the answer must come from the head.
    UploadGate gate = new UploadGate(0);
    Response response = client.exchange(local(port), HttpProtocol.HTTP_1_1,
        Request.post("/echo", new GeneratedBody(1, LIMIT + 1)).withGate(gate));

    assertThat(response.status()).isEqualTo(413);
  }

  @Test
  void chunkedBodyOverTheLimit_gets413() throws Exception {
    GeneratedBody body = new GeneratedBody(2, LIMIT + 1);
    UploadGate gate = new UploadGate(body.length()); // the whole body, but not its end
    Response response = client.exchange(local(port), HttpProtocol.HTTP_1_1,
        Request.post("/echo", body, BodyFraming.CHUNKED).withChunkBytes(8 * KIB).withGate(gate));

    assertThat(response.status()).isEqualTo(413);
  }

  @Test
  void getHealthz_answersOk() throws Exception {
    Response response = client.exchange(local(port), HttpProtocol.HTTP_1_1, Request.of("GET", "/healthz"));

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body().length()).isEqualTo(2);
  }
}
