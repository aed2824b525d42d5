package dev.extproc.stack;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link LocalStack} with a real Envoy but external echo and ext_proc (this module has no
 * ExtProcMain): an in-test JDK echo server behind the baseline listener, and no ext_proc server at
 * all behind the ext_proc listener.
 */
@Timeout(120)
class LocalStackEnvoyOnlyTest {

  @TempDir Path dir;

  private HttpServer echo;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void startEcho() throws Exception {
    echo = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    echo.createContext("/", exchange -> {
      try (InputStream in = exchange.getRequestBody(); OutputStream out = exchange.getResponseBody()) {
        byte[] body = in.readAllBytes();
        exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
        out.write(body);
      }
    });
    echo.start();
  }

  @AfterEach
  void stopEcho() {
    echo.stop(0);
  }

  @Test
  void baselineListener_echoesOneMebibyteByteForByte() throws Exception {
    byte[] body = new byte[1024 * 1024 + 1];
    new Random(42).nextBytes(body);
    try (LocalStack stack = stack()) {
      HttpResponse<byte[]> response = client.send(
          HttpRequest.newBuilder(stack.baselineUri().resolve("/streamed")).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
          HttpResponse.BodyHandlers.ofByteArray());

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(sha256(response.body())).isEqualTo(sha256(body));
      assertThat(stack.ports().listener()).isPositive().isNotEqualTo(stack.ports().baseline());
      assertThat(stack.envoyAdmin().memory().allocated()).isPositive();
    }
  }

  @Test
  void extProcServerDown_givesA500Fast_andTheFilterCountsAFailedStream() throws Exception {
    try (LocalStack stack = stack()) {
      long start = System.nanoTime();
      HttpResponse<String> response = client.send(
          HttpRequest.newBuilder(stack.extProcUri().resolve("/streamed")).POST(HttpRequest.BodyPublishers.ofString("hi")).build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).isEqualTo(500);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
      ExtProcFilterStats stats = stack.envoyAdmin().extProcStats();
      assertThat(stats.streamsStarted()).isEqualTo(1);
      assertThat(stats.streamsFailed()).isEqualTo(1);
      assertThat(stats.clean()).isFalse();
    }
  }

  @Test
  void twoStacksAtOnce_runSideBySide_andCloseLeavesNoEnvoy() throws Exception {
    long first;
    long second;
    try (LocalStack a = stack(); LocalStack b = stack()) {
      first = a.envoyPid();
      second = b.envoyPid();
      assertThat(a.envoyAdmin().isReady()).isTrue();
      assertThat(b.envoyAdmin().isReady()).isTrue();
      assertThat(a.ports().envoyAdmin()).isNotEqualTo(b.ports().envoyAdmin());
    }
    assertThat(ProcessHandle.of(first).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(ProcessHandle.of(second).map(ProcessHandle::isAlive).orElse(false)).isFalse();
  }

  @Test
  void workDir_holdsTheRenderedConfigAndEnvoysLog() throws Exception {
    try (LocalStack stack = stack()) {
      assertThat(stack.envoyConfigFile()).exists();
      assertThat(Files.readString(stack.envoyConfigFile())).contains("port_value: " + echo.getAddress().getPort());
      assertThat(stack.logDir().resolve("envoy.log")).exists();
    }
  }

  private LocalStack stack() throws Exception {
    return LocalStack.builder()
        .workDir(Files.createTempDirectory(dir, "stack"))
        .externalEcho("127.0.0.1", echo.getAddress().getPort())
        .externalExtProc("127.0.0.1", unusedPort())
        .envoyConcurrency(1)
        .build();
  }

  private static int unusedPort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
