package dev.extproc.echo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.extproc.client.Connection;
import dev.extproc.client.HttpClient;
import dev.extproc.client.HttpProtocol;
import dev.extproc.client.Request;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Lifecycle and validation of {@link EchoServer}. */
@Timeout(60)
class EchoServerTest {

  @Test
  void close_terminatesEveryEventLoopThread() throws Exception {
    EchoServer server = EchoServer.builder().port(0).ioThreads(2).build();
    int port = server.start();
    try (HttpClient client = new HttpClient();
        Connection connection = client.open(EchoRequests.local(port), HttpProtocol.HTTP_1_1)) {
      assertThat(connection.start(EchoRequests.post("/x", TestBodies.body(100), false)).await().status()).isEqualTo(200);
      // The connection is still open while the server closes.
      server.close();
      await().atMost(Duration.ofSeconds(5)).until(() -> !connection.isOpen());
    }

    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(Thread.getAllStackTraces().keySet())
                    .noneMatch(t -> t.getName().startsWith("extproc-echo") && t.isAlive()));
  }

  @Test
  void close_isIdempotentAndWorksBeforeStart() {
    EchoServer notStarted = EchoServer.builder().port(0).build();
    notStarted.close();
    notStarted.close();

    assertThatThrownBy(notStarted::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void start_twice_fails() {
    try (EchoServer server = EchoServer.builder().port(0).ioThreads(1).build()) {
      server.start();
      assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("started");
    }
  }

  @Test
  void start_onAPortInUse_failsWithThePortInTheMessage() {
    try (EchoServer first = EchoServer.builder().port(0).ioThreads(1).build()) {
      int port = first.start();
      EchoServer second = EchoServer.builder().port(port).ioThreads(1).build();

      assertThatThrownBy(second::start)
          .isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining("127.0.0.1:" + port);
      second.close();
    }
  }

  @Test
  void builder_rejectsBadValuesWithTheExpectedRange() {
    assertThatThrownBy(() -> EchoServer.builder().port(70000))
        .hasMessage("port: 70000 (expected: 0..65535)");
    assertThatThrownBy(() -> EchoServer.builder().ioThreads(0))
        .hasMessage("ioThreads: 0 (expected: >= 1)");
    assertThatThrownBy(() -> EchoEffect.throttleBody(0))
        .hasMessage("bytesPerSecond: 0 (expected: >= 1)");
    assertThatThrownBy(() -> EchoEffect.resetAfter(-1)).hasMessage("bodyBytes: -1 (expected: >= 0)");
    assertThatThrownBy(() -> EchoMode.aggregating(-5)).hasMessage("maxContentLength: -5 (expected: >= 0)");
    assertThatThrownBy(
            () -> EchoServer.builder().effects(EchoEffect.resetAfter(1), EchoEffect.resetAfter(2)))
        .hasMessageContaining("at most one effect of each kind");
  }

  @Test
  void http1AndHttp2_areServedOnTheSamePort() throws Exception {
    try (EchoServer server = EchoServer.builder().port(0).ioThreads(1).build()) {
      int port = server.start();
      try (HttpClient client = new HttpClient()) {
        Request healthz = Request.of("GET", "/healthz");
        assertThat(client.exchange(EchoRequests.local(port), HttpProtocol.HTTP_1_1, healthz).body().length()).isEqualTo(2);
        assertThat(client.exchange(EchoRequests.local(port), HttpProtocol.HTTP_2, healthz).body().length()).isEqualTo(2);
      }
    }
  }
}
