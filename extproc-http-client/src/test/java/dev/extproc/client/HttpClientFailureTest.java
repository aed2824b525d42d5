package dev.extproc.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * How an exchange ends when the peer is absent, silent or stops mid-response (the working paths
 * are tested against the echo).
 */
@Timeout(60)
class HttpClientFailureTest {

  private final HttpClient client = new HttpClient();

  @AfterEach
  void close() {
    client.close();
  }

  @ParameterizedTest
  @EnumSource(HttpProtocol.class)
  void nothingListening_endsTheExchangeAsConnectionClosed_withTheConnectError(HttpProtocol protocol) throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }

    Response response = client.exchange(new InetSocketAddress("127.0.0.1", port), protocol,
        Request.post("/x", RequestBody.ofBytes(new byte[10])));

    assertThat(response.outcome()).isEqualTo(Response.Outcome.CONNECTION_CLOSED);
    assertThat(response.status()).isZero();
    assertThat(response.detail()).startsWith("connect to ").contains(Integer.toString(port));
  }

  @ParameterizedTest
  @EnumSource(HttpProtocol.class)
  void aPeerThatNeverAnswers_timesTheExchangeOut_describingTheProgress(HttpProtocol protocol) throws Exception {
    try (ServerSocket silent = new ServerSocket(0)) {
      Exchange exchange = client.start(new InetSocketAddress("127.0.0.1", silent.getLocalPort()), protocol,
          Request.post("/silent", RequestBody.ofBytes(new byte[100])).withTimeout(Duration.ofMillis(500)));
      try (Socket accepted = silent.accept()) {
        assertThatThrownBy(exchange::await)
            .isInstanceOf(TimeoutException.class)
            .hasMessageContaining("POST /silent 100 B CONTENT_LENGTH: no end of exchange within 500 ms")
            .hasMessageContaining("status 0");
      }
    }
  }

  @Test
  void anHttp1ConnectionRefusesASecondExchangeWhileTheFirstRuns() throws Exception {
    try (ServerSocket silent = new ServerSocket(0)) {
      Connection connection = client.connect(new InetSocketAddress("127.0.0.1", silent.getLocalPort()),
          HttpProtocol.HTTP_1_1).get();
      try (Socket accepted = silent.accept(); connection) {
        connection.start(Request.of("GET", "/first"));

        assertThatThrownBy(() -> connection.start(Request.of("GET", "/second")))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("an HTTP/1.1 exchange is still under way");
      }
    }
  }

  /** The three endings a fault test must tell apart: complete, cut short, no response at all. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      complete content-length      | HTTP/1.1 200 OK\\r\\ncontent-length: 10\\r\\n\\r\\n0123456789                         | COMPLETE          | 200 | false | 10
      content-length cut short     | HTTP/1.1 200 OK\\r\\ncontent-length: 100\\r\\n\\r\\n0123456789                        | CONNECTION_CLOSED | 200 | true  | 10
      chunked cut before last chunk | HTTP/1.1 200 OK\\r\\ntransfer-encoding: chunked\\r\\n\\r\\na\\r\\n0123456789\\r\\n     | CONNECTION_CLOSED | 200 | true  | 10
      complete 500                 | HTTP/1.1 500 Internal Server Error\\r\\ncontent-length: 3\\r\\n\\r\\nbad                | COMPLETE          | 500 | false | 3
      closed before any status     | ''                                                                                | CONNECTION_CLOSED | 0   | false | 0
      """)
  void aPeerThatClosesMidResponse_isToldFromACompleteResponseAndFromNoResponse(
      String name, String rawResponse, Response.Outcome outcome, int status, boolean cut, long bodyBytes) throws Exception {
    try (ServerSocket peer = new ServerSocket(0)) {
      CompletableFuture<Void> answered = CompletableFuture.runAsync(() -> answerOnce(peer, rawResponse.replace("\\r\\n", "\r\n")));

      Response response = client.exchange(new InetSocketAddress("127.0.0.1", peer.getLocalPort()), HttpProtocol.HTTP_1_1,
          Request.of("GET", "/once"));
      answered.join();

      assertThat(response.outcome()).as("%s", response).isEqualTo(outcome);
      assertThat(response.status()).isEqualTo(status);
      assertThat(response.isCut()).isEqualTo(cut);
      assertThat(response.isCompleteWith(status)).isEqualTo(outcome == Response.Outcome.COMPLETE);
      assertThat(response.isCompleteOk()).isEqualTo(outcome == Response.Outcome.COMPLETE && status == 200);
      assertThat(response.body().length()).isEqualTo(bodyBytes);
    }
  }

  /** Accepts one connection, reads the request head, writes {@code raw} and closes. */
  private static void answerOnce(ServerSocket peer, String raw) {
    try (Socket socket = peer.accept()) {
      InputStream in = socket.getInputStream();
      int matched = 0;
      byte[] end = {'\r', '\n', '\r', '\n'};
      while (matched < end.length) {
        int c = in.read();
        if (c < 0) {
          throw new IOException("the request head ended early");
        }
        matched = c == end[matched] ? matched + 1 : c == '\r' ? 1 : 0;
      }
      socket.getOutputStream().write(raw.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
    } catch (IOException e) {
      throw new IllegalStateException("the test peer failed: " + e, e);
    }
  }
}
