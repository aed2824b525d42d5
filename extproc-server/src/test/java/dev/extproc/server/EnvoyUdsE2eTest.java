package dev.extproc.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.PassthroughProcessor;
import dev.extproc.echo.EchoServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server on a Unix domain socket behind a real Envoy whose ext_proc cluster has a {@code pipe} address. */
class EnvoyUdsE2eTest {

  @Test
  void envoyReachesTheServerOverAUnixSocket(@TempDir Path dir) throws Exception {
    Path socket = dir.resolve("extproc.sock");
    try (EchoServer echo = EchoServer.builder().host("127.0.0.1").port(0).build()) {
      int echoPort = echo.start();
      ExtProcServer server = ExtProcServer.builder(PassthroughProcessor.factory()).listener(Listener.uds(socket)).start();
      try (RealEnvoy envoy = RealEnvoy.start(dir, echoPort, List.of(RealEnvoy.Cluster.uds("uds", socket)))) {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + envoy.port() + "/uds"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString("over a unix socket")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("envoy log:\n%s", envoy.logTail()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("over a unix socket");
        assertThat(server.stats().streamsStarted()).isEqualTo(1);
      } finally {
        server.stop(Duration.ofSeconds(5));
      }
    }
  }
}
