package dev.extproc.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Issue #9 item 2: a stalled admin client must not block /healthz, /stats or /metrics. */
class AdminServerTest {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final AtomicBoolean draining = new AtomicBoolean();
  private final AdminEndpoints endpoints = new AdminEndpoints() {
    @Override
    public boolean draining() {
      return draining.get();
    }

    @Override
    public String statsJson() {
      return "{\"active_streams\":0}\n";
    }

    @Override
    public String metricsText() {
      return "# HELP extproc_x x\n# TYPE extproc_x gauge\nextproc_x 1.0\n";
    }
  };

  @Test
  void halfSentRequestsHeldOpen_doNotBlockOthers_andAreClosedAtTheRequestTimeout() throws Exception {
    try (AdminServer admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), endpoints, Duration.ofSeconds(2));
        Socket stalled = new Socket();
        Socket stalledToo = new Socket()) {
      stalled.connect(new InetSocketAddress("127.0.0.1", admin.port()), 5000);
      OutputStream out = stalled.getOutputStream();
      out.write("GET /stats HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      stalledToo.connect(new InetSocketAddress("127.0.0.1", admin.port()), 5000);

      for (int i = 0; i < 3; i++) {
        assertThat(get(admin, "/healthz").body()).isEqualTo("ok");
        assertThat(get(admin, "/stats").body()).contains("active_streams");
        HttpResponse<String> metrics = get(admin, "/metrics");
        assertThat(metrics.body()).contains("extproc_x 1.0");
        assertThat(metrics.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
      }

      // The stalled connections are closed by the server once the request timeout passes.
      stalled.setSoTimeout(10_000);
      stalledToo.setSoTimeout(10_000);
      InputStream in = stalled.getInputStream();
      assertThat(in.read()).as("server closed the half-sent request").isEqualTo(-1);
      assertThat(stalledToo.getInputStream().read()).as("server closed the silent connection").isEqualTo(-1);
    }
  }

  @Test
  void healthzIs503WhileDraining_unknownPathsAre404_otherMethods405() throws Exception {
    try (AdminServer admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), endpoints, Duration.ofSeconds(5))) {
      draining.set(true);
      HttpResponse<String> health = get(admin, "/healthz");
      assertThat(health.statusCode()).isEqualTo(503);
      assertThat(health.body()).isEqualTo("draining");
      assertThat(get(admin, "/nope").statusCode()).isEqualTo(404);
      HttpResponse<String> post = http.send(HttpRequest.newBuilder(uri(admin, "/stats"))
          .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(405);
      assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
    }
  }

  @Test
  void closeReleasesThePort() throws Exception {
    AdminServer admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), endpoints, Duration.ofSeconds(5));
    int port = admin.port();
    admin.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        return false;
      } catch (java.io.IOException refused) {
        return true;
      }
    });
  }

  private HttpResponse<String> get(AdminServer admin, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(admin, path)).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(AdminServer admin, String path) {
    return URI.create("http://127.0.0.1:" + admin.port() + path);
  }
}
