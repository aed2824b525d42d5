package dev.extproc.echo;

import static dev.extproc.echo.TestBodies.KIB;
import static dev.extproc.echo.TestBodies.MIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(60)
class EchoServerHttp2Test {

  private EchoServer server;
  private Http2TestClient client;

  @BeforeEach
  void start() throws Exception {
    server = EchoServer.builder().port(0).ioThreads(2).build();
    client = new Http2TestClient(server.start());
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

    Http2TestClient.Response response =
        client.post("/echo", body, null).response().get(30, TimeUnit.SECONDS);

    assertThat(response.status()).isEqualTo("200");
    assertThat(response.headers().get("content-type")).hasToString("application/octet-stream");
    assertThat(response.bodyBytes()).isEqualTo(size);
    assertThat(response.sha256()).isEqualTo(TestBodies.sha256(body));
  }

  @Test
  void concurrentStreams_areEchoedIndependently() throws Exception {
    byte[] a = TestBodies.body(MIB + 3);
    byte[] b = TestBodies.body(300 * KIB);
    Http2TestClient.Stream first = client.post("/a", a, null);
    Http2TestClient.Stream second = client.post("/b", b, null);

    assertThat(first.response().get(30, TimeUnit.SECONDS).sha256()).isEqualTo(TestBodies.sha256(a));
    assertThat(second.response().get(30, TimeUnit.SECONDS).sha256()).isEqualTo(TestBodies.sha256(b));
  }

  @Test
  void requestTrailers_areEchoedAsResponseTrailers() throws Exception {
    byte[] body = TestBodies.body(20 * KIB);
    Http2Headers trailers = new DefaultHttp2Headers().set("x-checksum", "abc123");

    Http2TestClient.Response response =
        client.post("/trailers", body, trailers).response().get(30, TimeUnit.SECONDS);

    assertThat(response.sha256()).isEqualTo(TestBodies.sha256(body));
    assertThat(response.trailers()).isNotNull();
    assertThat(response.trailers().get("x-checksum")).hasToString("abc123");
  }

  @Test
  void bodyHalfSent_isEchoedBeforeTheRestIsSent() throws Exception {
    byte[] body = TestBodies.body(512 * KIB);
    int half = body.length / 2;
    Http2TestClient.Stream stream = client.open("POST", "/stream", false);
    for (int off = 0; off < half; off += 16 * KIB) {
      stream.write(body, off, Math.min(16 * KIB, half - off), false);
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> stream.receivedBytes() == half);
    assertThat(stream.response()).isNotDone();

    for (int off = half; off < body.length; off += 16 * KIB) {
      int len = Math.min(16 * KIB, body.length - off);
      stream.write(body, off, len, off + len == body.length);
    }
    assertThat(stream.response().get(30, TimeUnit.SECONDS).sha256()).isEqualTo(TestBodies.sha256(body));
  }

  @Test
  void streamAbandonedMidBody_isReleased_andTheConnectionKeepsServing() throws Exception {
    byte[] body = TestBodies.body(MIB);
    Http2TestClient.Stream abandoned = client.open("POST", "/abandoned", false);
    abandoned.write(body, 0, 64 * KIB, false);
    await().atMost(Duration.ofSeconds(10)).until(() -> abandoned.receivedBytes() == 64 * KIB);
    abandoned.channel.close().sync(); // RST_STREAM(CANCEL) from the client

    Http2TestClient.Response next = client.post("/next", body, null).response().get(30, TimeUnit.SECONDS);

    assertThat(next.sha256()).isEqualTo(TestBodies.sha256(body));
  }

  @Test
  void clientThatDoesNotRead_isHeldByFlowControl_thenTheWholeBodyIsEchoedWhenItReads() throws Exception {
    byte[] body = TestBodies.body(8 * MIB);
    Http2TestClient.Stream stream = client.open("POST", "/slow-reader", false, false);
    for (int off = 0; off < body.length; off += 16 * KIB) {
      int len = Math.min(16 * KIB, body.length - off);
      stream.write(body, off, len, off + len == body.length);
    }
    // The response is not read: the echo can write only the client's receive window, so it stops
    // reading, returns no more window, and the client can send little more than the echo's
    // 256 KiB stream window. The writes wait in the client.
    long[] previous = {-1};
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(300))
        .until(
            () -> {
              long now = client.socketBytesWritten();
              boolean stalled = now == previous[0];
              previous[0] = now;
              return stalled;
            });
    assertThat(client.socketBytesWritten()).isLessThan(MIB);
    assertThat(stream.response()).isNotDone();

    stream.readResponse();

    assertThat(stream.response().get(30, TimeUnit.SECONDS).sha256()).isEqualTo(TestBodies.sha256(body));
  }

  @Test
  void getHealthz_answersOk() throws Exception {
    Http2TestClient.Stream stream = client.open("GET", "/healthz", true);

    Http2TestClient.Response response = stream.response().get(10, TimeUnit.SECONDS);

    assertThat(response.status()).isEqualTo("200");
    assertThat(response.sha256()).isEqualTo(TestBodies.sha256("ok".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void getWithoutBody_answersEmpty200() throws Exception {
    Http2TestClient.Response response = client.open("GET", "/other", true).response().get(10, TimeUnit.SECONDS);

    assertThat(response.status()).isEqualTo("200");
    assertThat(response.bodyBytes()).isZero();
  }
}
