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
class EchoServerHttp2Test {

  private EchoServer server;
  private HttpClient client;
  private Connection connection;

  @BeforeEach
  void start() throws Exception {
    server = EchoServer.builder().port(0).ioThreads(2).build();
    client = new HttpClient();
    connection = client.open(local(server.start()), HttpProtocol.HTTP_2);
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
  void priorKnowledgeStream_isEchoedByteExact(int size) throws Exception {
    byte[] body = TestBodies.body(size);

    Response response = connection.start(post("/echo", body, true)).await();

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.headers()).containsEntry("content-type", List.of("application/octet-stream"));
    assertThat(response.body()).isEqualTo(digest(body));
  }

  @Test
  void concurrentStreams_areEchoedIndependently() throws Exception {
    byte[] a = TestBodies.body(MIB + 3);
    byte[] b = TestBodies.body(300 * KIB);
    Exchange first = connection.start(post("/a", a, true));
    Exchange second = connection.start(post("/b", b, true));

    assertThat(first.await().body()).isEqualTo(digest(a));
    assertThat(second.await().body()).isEqualTo(digest(b));
  }

  @Test
  void requestTrailers_areEchoedAsResponseTrailers() throws Exception {
    byte[] body = TestBodies.body(20 * KIB);

    Response response = connection.start(post("/trailers", body, true).withTrailers(Map.of("x-checksum", "abc123")))
        .await();

    assertThat(response.body()).isEqualTo(digest(body));
    assertThat(response.trailer("x-checksum")).hasValue("abc123");
  }

  @Test
  void bodyHalfSent_isEchoedBeforeTheRestIsSent() throws Exception {
    GeneratedBody body = new GeneratedBody(11, 512 * KIB);
    long half = body.length() / 2;
    UploadGate gate = new UploadGate(half);
    Exchange exchange = connection.start(Request.post("/stream", body, BodyFraming.CHUNKED).withGate(gate));
    gate.awaitReached();

    await().atMost(Duration.ofSeconds(10)).until(() -> exchange.bytesReceived() == half);
    assertThat(exchange.isDone()).isFalse();
    gate.resume();

    assertThat(exchange.await().body()).isEqualTo(body.expectedDigest());
  }

  @Test
  void streamAbandonedMidBody_isReleased_andTheConnectionKeepsServing() throws Exception {
    byte[] body = TestBodies.body(MIB);
    UploadGate gate = new UploadGate(64 * KIB);
    Exchange abandoned = connection.start(Request.post("/abandoned", new GeneratedBody(12, MIB), BodyFraming.CHUNKED)
        .withGate(gate));
    gate.awaitReached();
    await().atMost(Duration.ofSeconds(10)).until(() -> abandoned.bytesReceived() == 64 * KIB);
    gate.abort(); // RST_STREAM(CANCEL) from the client; the connection stays

    assertThat(abandoned.await().outcome()).isEqualTo(Response.Outcome.CLIENT_ABORTED);
    Response next = connection.start(post("/next", body, true)).await();

    assertThat(next.body()).isEqualTo(digest(body));
  }

  @Test
  void clientThatDoesNotRead_isHeldByFlowControl_thenTheWholeBodyIsEchoedWhenItReads() throws Exception {
    GeneratedBody body = new GeneratedBody(13, 8 * MIB);
    Exchange exchange = connection.start(Request.post("/slow-reader", body, BodyFraming.CHUNKED), false);
    // The response is not read: the echo can write only the client's receive window (1 MiB), so it
    // stops reading, returns no more window, and the client can send little more than that plus the
    // echo's 256 KiB stream window, far below the 8 MiB body. The upload waits in the client.
    long[] previous = {-1};
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(300))
        .until(() -> {
          long now = connection.socketBytesWritten();
          boolean stalled = now == previous[0];
          previous[0] = now;
          return stalled;
        });
    assertThat(connection.socketBytesWritten()).isLessThan(HttpClient.STREAM_WINDOW + 512L * KIB);
    assertThat(exchange.isDone()).isFalse();

    connection.resumeReading();

    assertThat(exchange.await().body()).isEqualTo(body.expectedDigest());
  }

  @Test
  void getHealthz_answersOk() throws Exception {
    Response response = connection.start(Request.of("GET", "/healthz")).await();

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo(digest("ok".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void getWithoutBody_answersEmpty200() throws Exception {
    Response response = connection.start(Request.of("GET", "/other")).await();

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body().length()).isZero();
  }
}
