package dev.extproc.echo;

import static dev.extproc.echo.EchoRequests.digest;
import static dev.extproc.echo.EchoRequests.local;
import static dev.extproc.echo.EchoRequests.post;
import static dev.extproc.echo.TestBodies.KIB;
import static dev.extproc.echo.TestBodies.MIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.extproc.client.BodyFraming;
import dev.extproc.client.Connection;
import dev.extproc.client.Exchange;
import dev.extproc.client.GeneratedBody;
import dev.extproc.client.HttpClient;
import dev.extproc.client.HttpProtocol;
import dev.extproc.client.Request;
import dev.extproc.client.Response;
import dev.extproc.client.UploadGate;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(60)
class EchoServerHttp1Test {

  private EchoServer server;
  private HttpClient client;
  private Connection connection;

  @BeforeEach
  void start() throws Exception {
    server = EchoServer.builder().port(0).ioThreads(2).build();
    client = new HttpClient();
    connection = client.open(local(server.start()), HttpProtocol.HTTP_1_1);
  }

  @AfterEach
  void stop() {
    try {
      client.close();
    } finally {
      server.close();
    }
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 1, 64 * KIB - 1, MIB + 1, 16 * MIB})
  void contentLengthBody_isEchoedByteExactWithTheSameLength(int size) throws Exception {
    byte[] body = TestBodies.body(size);

    Response response = connection.start(post("/echo", body, false)).await();

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.headers())
        .containsEntry("content-length", List.of(Integer.toString(size)))
        .containsEntry("content-type", List.of("application/octet-stream"))
        .doesNotContainKey("transfer-encoding");
    assertThat(response.body()).isEqualTo(digest(body));
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 1, 64 * KIB - 1, MIB + 1, 16 * MIB})
  void chunkedBody_isEchoedByteExactAsAChunkedResponse(int size) throws Exception {
    byte[] body = TestBodies.body(size);

    Response response = connection.start(post("/echo", body, true)).await();

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.headers())
        .containsEntry("transfer-encoding", List.of("chunked"))
        .doesNotContainKey("content-length");
    assertThat(response.body()).isEqualTo(digest(body));
  }

  @Test
  void keepAliveConnection_echoesRequestsOneAfterTheOther() throws Exception {
    for (int size : new int[] {10, 70 * KIB, 0, 3}) {
      byte[] body = TestBodies.body(size);
      Response response = connection.start(post("/again", body, size % 2 == 0)).await();
      assertThat(response.body()).as("size %d", size).isEqualTo(digest(body));
    }
    assertThat(connection.isOpen()).as("the one keep-alive connection").isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"CONTENT_LENGTH", "CHUNKED"})
  void bodyHalfSent_isEchoedBeforeTheRestIsSent(BodyFraming framing) throws Exception {
    GeneratedBody body = new GeneratedBody(7, 256 * KIB);
    long half = body.length() / 2;
    UploadGate gate = new UploadGate(half);

    Exchange exchange = connection.start(Request.post("/stream", body, framing).withGate(gate));
    gate.awaitReached();

    await().atMost(Duration.ofSeconds(10)).until(() -> exchange.bytesReceived() == half);
    assertThat(exchange.isDone()).isFalse();
    gate.resume();
    Response response = exchange.await();

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo(body.expectedDigest());
  }

  @Test
  void chunkedBodyWithTrailers_isEchoedWithTheTrailers() throws Exception {
    byte[] body = TestBodies.body(100 * KIB);

    Response response = connection.start(post("/stream", body, true)
        .withHeader("te", "trailers")
        .withTrailers(Map.of("x-checksum", "abc123"))).await();

    assertThat(response.body()).isEqualTo(digest(body));
    assertThat(response.trailer("x-checksum")).hasValue("abc123");
  }

  @Test
  void clientThatDoesNotRead_stopsTheServerReading_thenTheWholeBodyIsEchoedWhenItReads() throws Exception {
    GeneratedBody body = new GeneratedBody(8, 128L * MIB);
    Exchange exchange = connection.start(Request.post("/slow-reader", body).withTimeout(Duration.ofSeconds(50)), false);
    // Nothing reads the response: the server must stop reading the request, so the upload stalls
    // with at most the socket buffers and one read in flight, far below the body size.
    long[] previous = {-1};
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(300))
        .until(() -> {
          long now = exchange.bytesSent();
          boolean stalled = now == previous[0];
          previous[0] = now;
          return stalled;
        });
    assertThat(exchange.bytesSent()).isLessThan(64L * MIB);
    assertThat(exchange.isDone()).isFalse();

    connection.resumeReading();
    Response response = exchange.await();

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo(body.expectedDigest());
  }

  @Test
  void clientAbortingMidBody_leavesTheServerServing() throws Exception {
    byte[] body = TestBodies.body(MIB);
    UploadGate gate = new UploadGate(MIB);
    Exchange aborted = connection.start(Request.post("/abort", new GeneratedBody(9, 2L * MIB)).withGate(gate));
    gate.awaitReached();
    await().atMost(Duration.ofSeconds(10)).until(() -> aborted.bytesReceived() > 0);
    gate.abort(); // the connection closes with half the body sent and most of the echo unread

    assertThat(aborted.await().outcome()).isEqualTo(Response.Outcome.CLIENT_ABORTED);
    Response after = client.exchange(local(server.port()), HttpProtocol.HTTP_1_1, post("/after", body, true));
    assertThat(after.body()).isEqualTo(digest(body));
  }

  @Test
  void getHealthz_answersOk() throws Exception {
    Response response = connection.start(Request.of("GET", "/healthz")).await();

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo(digest("ok".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void getWithoutBodyOnAnotherPath_answersEmpty200_andKeepsTheConnection() throws Exception {
    Response first = connection.start(Request.of("GET", "/anything?x=1")).await();
    Response second = connection.start(Request.of("HEAD", "/healthz")).await(); // a HEAD response has no body
    Response third = connection.start(post("/after", TestBodies.body(5), false)).await();

    assertThat(first.status()).isEqualTo(200);
    assertThat(first.body().length()).isZero();
    assertThat(second.status()).isEqualTo(200);
    assertThat(second.header("content-length")).hasValue("2");
    assertThat(second.body().length()).isZero();
    assertThat(third.body()).isEqualTo(digest(TestBodies.body(5)));
    assertThat(connection.isOpen()).isTrue();
  }

  @Test
  void expectContinue_isAnsweredBeforeTheEcho() throws Exception {
    byte[] body = TestBodies.body(2 * KIB);

    Response response = connection.start(post("/upload", body, false).withHeader("expect", "100-continue")).await();

    assertThat(response.status()).isEqualTo(200); // the 100 was skipped
    assertThat(response.body()).isEqualTo(digest(body));
  }

  @Test
  void connectionClose_isHonouredAfterTheEcho() throws Exception {
    byte[] body = TestBodies.body(1000);

    Response response = connection.start(post("/bye", body, false).withHeader("connection", "close")).await();

    assertThat(response.header("connection")).hasValue("close");
    assertThat(response.body()).isEqualTo(digest(body));
    await().atMost(Duration.ofSeconds(10)).until(() -> !connection.isOpen());
  }
}
