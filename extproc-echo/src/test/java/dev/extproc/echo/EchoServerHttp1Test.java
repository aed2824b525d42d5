package dev.extproc.echo;

import static dev.extproc.echo.TestBodies.KIB;
import static dev.extproc.echo.TestBodies.MIB;
import static org.assertj.core.api.Assertions.assertThat;

import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.nio.charset.StandardCharsets;
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
  private int port;

  @BeforeEach
  void start() {
    server = EchoServer.builder().port(0).ioThreads(2).build();
    port = server.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 1, 64 * KIB - 1, MIB + 1, 16 * MIB})
  void contentLengthBody_isEchoedByteExactWithTheSameLength(int size) throws Exception {
    byte[] body = TestBodies.body(size);
    try (Http1TestClient client = new Http1TestClient(port)) {
      Http1TestClient.Response response = client.post("/echo", body, false);

      assertThat(response.status()).isEqualTo(200);
      assertThat(response.headers())
          .containsEntry("content-length", Integer.toString(size))
          .containsEntry("content-type", "application/octet-stream")
          .doesNotContainKey("transfer-encoding");
      assertThat(response.bodyBytes()).isEqualTo(size);
      assertThat(response.sha256()).isEqualTo(TestBodies.sha256(body));
    }
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 1, 64 * KIB - 1, MIB + 1, 16 * MIB})
  void chunkedBody_isEchoedByteExactAsAChunkedResponse(int size) throws Exception {
    byte[] body = TestBodies.body(size);
    try (Http1TestClient client = new Http1TestClient(port)) {
      Http1TestClient.Response response = client.post("/echo", body, true);

      assertThat(response.status()).isEqualTo(200);
      assertThat(response.headers())
          .containsEntry("transfer-encoding", "chunked")
          .doesNotContainKey("content-length");
      assertThat(response.bodyBytes()).isEqualTo(size);
      assertThat(response.sha256()).isEqualTo(TestBodies.sha256(body));
    }
  }

  @Test
  void keepAliveConnection_echoesRequestsOneAfterTheOther() throws Exception {
    try (Http1TestClient client = new Http1TestClient(port)) {
      for (int size : new int[] {10, 70 * KIB, 0, 3}) {
        byte[] body = TestBodies.body(size);
        Http1TestClient.Response response = client.post("/again", body, size % 2 == 0);
        assertThat(response.sha256()).as("size %d", size).isEqualTo(TestBodies.sha256(body));
      }
    }
  }

  @Test
  void bodyHalfSent_isEchoedBeforeTheRestIsSent() throws Exception {
    byte[] body = TestBodies.body(256 * KIB);
    int half = body.length / 2;
    try (Http1TestClient client = new Http1TestClient(port)) {
      client.writeHead(
          "POST", "/stream", Map.of("content-length", Integer.toString(body.length)));
      client.out().write(body, 0, half);
      client.out().flush();

      Http1TestClient.ResponseHead head = client.readHead();
      Http1TestClient.BodyReader reader = client.body(head);
      byte[] first = reader.readExactly(half);

      client.out().write(body, half, body.length - half);
      client.out().flush();
      byte[] second = reader.readExactly(body.length - half);

      assertThat(head.status()).isEqualTo(200);
      ByteArrayOutputStream echoed = new ByteArrayOutputStream();
      echoed.write(first);
      echoed.write(second);
      assertThat(echoed.toByteArray()).isEqualTo(body);
    }
  }

  @Test
  void chunkedBodyHalfSent_isEchoedBeforeTheRestIsSent_andTrailersAreEchoed() throws Exception {
    byte[] body = TestBodies.body(100 * KIB);
    int half = body.length / 2;
    try (Http1TestClient client = new Http1TestClient(port)) {
      client.writeHead("POST", "/stream", Map.of("transfer-encoding", "chunked", "te", "trailers"));
      client.writeChunk(body, 0, half);

      Http1TestClient.ResponseHead head = client.readHead();
      Http1TestClient.BodyReader reader = client.body(head);
      byte[] first = reader.readExactly(half);

      client.writeChunk(body, half, body.length - half);
      client.writeLastChunk(Map.of("x-checksum", "abc123"));
      byte[] second = reader.readExactly(body.length - half);

      assertThat(first).isEqualTo(java.util.Arrays.copyOfRange(body, 0, half));
      assertThat(second).isEqualTo(java.util.Arrays.copyOfRange(body, half, body.length));
      assertThat(reader.read(new byte[1], 0, 1)).isEqualTo(-1);
      assertThat(reader.trailers()).containsEntry("x-checksum", "abc123");
    }
  }

  @Test
  void clientThatDoesNotRead_stopsTheServerReading_thenTheWholeBodyIsEchoedWhenItReads() throws Exception {
    long size = 128L * MIB;
    byte[] block = TestBodies.body(MIB);
    AtomicLong written = new AtomicLong();
    try (Http1TestClient client = new Http1TestClient(port)) {
      client.writeHead("POST", "/slow-reader", Map.of("content-length", Long.toString(size)));
      CompletableFuture<Void> writer =
          CompletableFuture.runAsync(
              () -> {
                try {
                  for (long off = 0; off < size; off += block.length) {
                    client.out().write(block);
                    written.addAndGet(block.length);
                  }
                  client.out().flush();
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      // Nothing reads the response: the server must stop reading the request, so the writer stalls
      // with at most the socket buffers and one read in flight, far below the body size.
      long[] previous = {-1};
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(300))
          .until(
              () -> {
                long now = written.get();
                boolean stalled = now == previous[0];
                previous[0] = now;
                return stalled;
              });
      assertThat(written.get()).isLessThan(64L * MIB);
      assertThat(writer).isNotDone();

      Http1TestClient.Response response = client.readResponse();
      writer.get(30, TimeUnit.SECONDS);

      MessageDigest expected = TestBodies.sha256();
      for (long off = 0; off < size; off += block.length) {
        expected.update(block);
      }
      assertThat(response.bodyBytes()).isEqualTo(size);
      assertThat(response.sha256()).isEqualTo(HexFormat.of().formatHex(expected.digest()));
    }
  }

  @Test
  void clientAbortingMidBody_leavesTheServerServing() throws Exception {
    byte[] body = TestBodies.body(MIB);
    try (Http1TestClient client = new Http1TestClient(port)) {
      client.writeHead("POST", "/abort", Map.of("content-length", Integer.toString(2 * MIB)));
      client.out().write(body);
      client.out().flush();
      client.readHead();
    } // closed with half the body sent and most of the echo unread
    try (Http1TestClient client = new Http1TestClient(port)) {
      assertThat(client.post("/after", body, true).sha256()).isEqualTo(TestBodies.sha256(body));
    }
  }

  @Test
  void getHealthz_answersOk() throws Exception {
    try (Http1TestClient client = new Http1TestClient(port)) {
      client.writeHead("GET", "/healthz", Map.of());
      Http1TestClient.Response response = client.readResponse();

      assertThat(response.status()).isEqualTo(200);
      assertThat(response.sha256()).isEqualTo(TestBodies.sha256("ok".getBytes(StandardCharsets.US_ASCII)));
    }
  }

  @Test
  void getWithoutBodyOnAnotherPath_answersEmpty200_andKeepsTheConnection() throws Exception {
    try (Http1TestClient client = new Http1TestClient(port)) {
      client.writeHead("GET", "/anything?x=1", Map.of());
      Http1TestClient.Response first = client.readResponse();
      client.writeHead("HEAD", "/healthz", Map.of());
      Http1TestClient.ResponseHead second = client.readHead(); // a HEAD response has no body
      Http1TestClient.Response third = client.post("/after", TestBodies.body(5), false);

      assertThat(first.status()).isEqualTo(200);
      assertThat(first.bodyBytes()).isZero();
      assertThat(second.status()).isEqualTo(200);
      assertThat(second.headers()).containsEntry("content-length", "2");
      assertThat(third.sha256()).isEqualTo(TestBodies.sha256(TestBodies.body(5)));
    }
  }

  @Test
  void expectContinue_isAnsweredBeforeTheEcho() throws Exception {
    byte[] body = TestBodies.body(2 * KIB);
    try (Http1TestClient client = new Http1TestClient(port)) {
      client.writeHead(
          "POST", "/upload", Map.of("content-length", Integer.toString(body.length), "expect", "100-continue"));
      client.out().write(body);
      client.out().flush();
      Http1TestClient.Response response = client.readResponse(); // skips the 100

      assertThat(response.status()).isEqualTo(200);
      assertThat(response.sha256()).isEqualTo(TestBodies.sha256(body));
    }
  }

  @Test
  void connectionClose_isHonouredAfterTheEcho() throws Exception {
    byte[] body = TestBodies.body(1000);
    try (Http1TestClient client = new Http1TestClient(port)) {
      client.writeHead(
          "POST", "/bye", Map.of("content-length", Integer.toString(body.length), "connection", "close"));
      client.out().write(body);
      client.out().flush();
      Http1TestClient.Response response = client.readResponse();

      assertThat(response.headers()).containsEntry("connection", "close");
      assertThat(response.sha256()).isEqualTo(TestBodies.sha256(body));
      assertThat(client.isClosedByServer()).isTrue();
    }
  }
}
