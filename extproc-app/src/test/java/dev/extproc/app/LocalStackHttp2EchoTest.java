package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.stack.EnvoyEndpoints;
import dev.extproc.stack.LocalStack;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The stack's HTTP/2 upstream option: Envoy speaks h2c (prior knowledge) to the real echo backend. */
@Timeout(180)
class LocalStackHttp2EchoTest {

  @TempDir Path logDir;

  @Test
  void http2Upstream_echoesEveryRouteByteForByte_overHttp2() throws Exception {
    byte[] body = RouteChecks.body(1024 * 1024 + 1);
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try (LocalStack stack = LocalStack.builder()
        .workDir(logDir)
        .echoProtocol(EnvoyEndpoints.UpstreamProtocol.HTTP2)
        .build()) {
      for (String route : RouteChecks.ROUTES) {
        HttpResponse<byte[]> response = client.send(
            HttpRequest.newBuilder(stack.extProcUri().resolve(route)).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
            HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).as(route).isEqualTo(200);
        assertThat(response.body()).as(route).isEqualTo(body);
      }
      assertThat(stack.envoyAdmin().stat("cluster.echo.upstream_cx_http2_total")).isPositive();
      assertThat(stack.envoyAdmin().stat("cluster.echo.upstream_cx_http1_total")).isZero();
      assertThat(stack.envoyAdmin().extProcStats().clean()).isTrue();
    }
  }
}
