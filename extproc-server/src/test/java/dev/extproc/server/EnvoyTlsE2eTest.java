package dev.extproc.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.extproc.PassthroughProcessor;
import dev.extproc.echo.EchoServer;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS and mTLS between a real Envoy (UpstreamTlsContext on the ext_proc cluster) and the server:
 * Envoy with a client certificate of the trusted CA gets through; without one, with one of another
 * CA, expired, or in plaintext it is refused (the HTTP client sees Envoy's 500); a server
 * certificate rotated on disk is used for new connections while an upload in flight completes.
 */
class EnvoyTlsE2eTest {
  private final TestPki pki = new TestPki();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void mtlsThroughRealEnvoy_refusals_andRotationMidUpload(@TempDir Path dir) throws Exception {
    TestPki.Issued ca = pki.ca("extproc-ca");
    TestPki.Issued nextCa = pki.ca("extproc-next-ca");
    Path clientCa = dir.resolve("client-ca.crt");
    TestPki.writeCertificate(clientCa, ca.certificate());
    Path envoyTrust = dir.resolve("envoy-trust.crt");
    TestPki.writeCertificate(envoyTrust, ca.certificate(), nextCa.certificate());
    Path nextCaOnly = dir.resolve("next-ca.crt");
    TestPki.writeCertificate(nextCaOnly, nextCa.certificate());
    TestPki.Files2 serverFiles = pki.leaf(ca, "extproc").write(dir, "server");
    TestPki.Files2 good = pki.leaf(ca, "envoy").write(dir, "envoy-good");
    TestPki.Files2 foreign = pki.leaf(pki.ca("stranger-ca"), "envoy").write(dir, "envoy-foreign");
    TestPki.Files2 expired = pki.leaf(ca, "envoy", Instant.now().minus(Duration.ofDays(3)),
        Instant.now().minus(Duration.ofDays(1))).write(dir, "envoy-expired");

    try (EchoServer echo = EchoServer.builder().host("127.0.0.1").port(0).build()) {
      int echoPort = echo.start();
      ExtProcServer server = ExtProcServer.builder(PassthroughProcessor.factory())
          .listener(Listener.tcp("127.0.0.1", 0))
          .tls(ServerTls.of(serverFiles.cert(), serverFiles.key()).withClientCa(clientCa)
              .withRefreshInterval(Duration.ofMillis(200)))
          .start();
      int grpcPort = server.grpcPort();
      try (RealEnvoy envoy = RealEnvoy.start(dir, echoPort, List.of(
          RealEnvoy.Cluster.tcp("good", grpcPort, RealEnvoy.tlsSocket(envoyTrust, good.cert(), good.key())),
          RealEnvoy.Cluster.tcp("nocert", grpcPort, RealEnvoy.tlsSocket(envoyTrust, null, null)),
          RealEnvoy.Cluster.tcp("foreign", grpcPort, RealEnvoy.tlsSocket(envoyTrust, foreign.cert(), foreign.key())),
          RealEnvoy.Cluster.tcp("expired", grpcPort, RealEnvoy.tlsSocket(envoyTrust, expired.cert(), expired.key())),
          RealEnvoy.Cluster.tcp("plain", grpcPort, "")))) {
        HttpResponse<String> ok = post(envoy, "/good", "hello over mTLS");
        assertThat(ok.statusCode()).as("mTLS; envoy log:\n%s", envoy.logTail()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("hello over mTLS");
        long started = server.stats().streamsStarted();
        for (String refused : List.of("/nocert", "/foreign", "/expired", "/plain")) {
          assertThat(post(envoy, refused, "must not pass").statusCode()).as(refused).isEqualTo(500);
        }
        assertThat(server.stats().streamsStarted()).as("no refused client reached the service").isEqualTo(started);

        // An upload in flight (raw HTTP/1.1, chunked) while the server certificate is rotated to one of the next CA.
        try (java.net.Socket upload = new java.net.Socket("127.0.0.1", envoy.port())) {
          upload.setSoTimeout(30_000);
          OutputStream out = upload.getOutputStream();
          long before = server.stats().streamsStarted();
          write(out, "POST /good HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
              + chunk("first half, "));
          await().atMost(Duration.ofSeconds(20)).alias("stream in flight").until(
              () -> server.stats().streamsStarted() > before && server.stats().activeStreams() == 1);

          TestPki.Issued rotated = pki.leaf(nextCa, "extproc");
          TestPki.writeKey(serverFiles.key(), rotated.keys());
          TestPki.writeCertificate(serverFiles.cert(), rotated.certificate());
          await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
              .until(() -> healthWithTrust(grpcPort, nextCaOnly, good));

          write(out, chunk("second half") + "0\r\n\r\n");
          String response = new String(upload.getInputStream().readNBytes(4096), StandardCharsets.ISO_8859_1);
          assertThat(response).startsWith("HTTP/1.1 200").contains("first half, ").contains("second half");
        }
        assertThat(post(envoy, "/good", "after rotation").body()).isEqualTo("after rotation");
      } finally {
        server.stop(Duration.ofSeconds(5));
      }
    }
  }

  private HttpResponse<String> post(RealEnvoy envoy, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + envoy.port() + path))
        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String chunk(String text) {
    return Integer.toHexString(text.length()) + "\r\n" + text + "\r\n";
  }

  private static void write(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** Whether a new TLS connection that trusts only {@code ca} passes the health check. */
  private static boolean healthWithTrust(int port, Path ca, TestPki.Files2 client) throws Exception {
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("localhost", port, TlsChannelCredentials.newBuilder()
        .trustManager(ca.toFile()).keyManager(client.cert().toFile(), client.key().toFile()).build()).build();
    try {
      HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
      return true;
    } catch (io.grpc.StatusRuntimeException e) {
      return false;
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
