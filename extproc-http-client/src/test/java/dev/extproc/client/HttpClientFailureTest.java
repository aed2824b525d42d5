package dev.extproc.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** How an exchange ends when the peer is absent or silent (the working paths are tested against the echo). */
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
}
