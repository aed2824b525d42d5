package dev.extproc.app.sse;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.echo.LlmStubServer;
import dev.extproc.sse.LlmFormat;
import dev.extproc.sse.SyntheticLlmStream;
import dev.extproc.stack.EnvoyAdmin;
import dev.extproc.stack.EnvoyInstallation;
import dev.extproc.stack.ManagedProcess;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Through a real Envoy: long LLM event streams, split at random points by the upstream, pass
 * through ext_proc unchanged in STREAMED and FULL_DUPLEX_STREAMED, and the token usage the server
 * found reaches Envoy's access log through dynamic metadata ({@code extproc.llm}).
 */
class LlmUsageE2eTest {
  private static final int EVENTS = 10_000;
  private static final long INPUT_TOKENS = 17;
  private static final String MODEL = "stub-model";
  private static final Pattern LINE = Pattern.compile(
      "(\\S+) (\\d+) model=(\\S+) input=(\\S+) output=(\\S+) total=(\\S+)");

  @TempDir static Path dir;
  private static ScheduledExecutorService scheduler;
  private static LlmStubServer stub;
  private static Server grpc;
  private static ExtProcService service;
  private static ManagedProcess envoy;
  private static int listenerPort;
  private static Path accessLog;
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() throws Exception {
    scheduler = Executors.newScheduledThreadPool(2);
    service = ExtProcService.builder(dev.extproc.app.LlmUsageTestAccess.factory()).scheduler(scheduler).build();
    grpc = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .maxInboundMessageSize(ExtProcConfig.defaults().maxInboundMessageBytes())
        .flowControlWindow(1024 * 1024)
        .addService(service).build().start();
    accessLog = dir.resolve("access.log");
    stub = new LlmStubServer("127.0.0.1", 0,
        new LlmStubServer.Settings(LlmFormat.OPENAI_CHAT, EVENTS, 0, MODEL, INPUT_TOKENS, 0x5eed));
    Path config = dir.resolve("envoy.yaml");
    String template = new String(LlmUsageE2eTest.class.getResourceAsStream("llm-envoy.yaml").readAllBytes(), StandardCharsets.UTF_8);
    Files.writeString(config, template.replace("{{ACCESS_LOG}}", accessLog.toString())
        .replace("{{EXTPROC_PORT}}", Integer.toString(grpc.getPort()))
        .replace("{{STUB_PORT}}", Integer.toString(stub.start())));
    Path adminFile = dir.resolve("admin.address");
    envoy = ManagedProcess.start("envoy", List.of(EnvoyInstallation.locate().binary().toString(), "-c", config.toString(),
        "--admin-address-path", adminFile.toString(), "--disable-hot-restart", "--concurrency", "1",
        "--log-level", "warning", "--file-flush-interval-msec", "100"), dir.resolve("envoy.log"));
    int adminPort = envoy.awaitReady("Envoy admin address", () -> {
      try {
        String text = Files.exists(adminFile) ? Files.readString(adminFile).strip() : "";
        int port = text.isEmpty() ? 0 : Integer.parseInt(text.substring(text.lastIndexOf(':') + 1));
        return port > 0 ? Optional.of(port) : Optional.empty();
      } catch (Exception e) {
        return Optional.empty();
      }
    }, Duration.ofSeconds(30));
    EnvoyAdmin admin = new EnvoyAdmin(URI.create("http://127.0.0.1:" + adminPort));
    listenerPort = envoy.awaitReady("listener bound", () -> {
      Map<String, InetSocketAddress> bound = admin.listeners();
      InetSocketAddress llm = bound.get("llm");
      return llm != null && llm.getPort() != 0 ? Optional.of(llm.getPort()) : Optional.empty();
    }, Duration.ofSeconds(30));
  }

  @AfterAll
  static void stop() throws Exception {
    if (envoy != null) {
      envoy.close();
    }
    if (grpc != null) {
      grpc.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (stub != null) {
      stub.close();
    }
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }

  static List<Arguments> cases() {
    return List.of(
        Arguments.of(LlmFormat.OPENAI_CHAT, "/streamed"), Arguments.of(LlmFormat.OPENAI_CHAT, "/full-duplex"),
        Arguments.of(LlmFormat.OPENAI_RESPONSES, "/streamed"), Arguments.of(LlmFormat.OPENAI_RESPONSES, "/full-duplex"),
        Arguments.of(LlmFormat.ANTHROPIC, "/streamed"), Arguments.of(LlmFormat.ANTHROPIC, "/full-duplex"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void longStream_passesUnchanged_usageInEnvoysAccessLog(LlmFormat format, String route) throws Exception {
    String path = route + "/" + format.flag();
    HttpResponse<InputStream> response = CLIENT.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + listenerPort + path))
            .timeout(Duration.ofSeconds(120))
            .POST(HttpRequest.BodyPublishers.ofString("{\"stream\":true}")).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    MessageDigest received = MessageDigest.getInstance("SHA-256");
    long bytes = 0;
    try (InputStream body = response.body()) {
      byte[] buffer = new byte[65536];
      for (int n; (n = body.read(buffer)) > 0; ) {
        received.update(buffer, 0, n);
        bytes += n;
      }
    }
    MessageDigest expected = MessageDigest.getInstance("SHA-256");
    long expectedBytes = 0;
    SyntheticLlmStream stream = new SyntheticLlmStream(format, MODEL, EVENTS, INPUT_TOKENS);
    while (stream.hasNext()) {
      ByteString block = stream.nextBlock();
      expected.update(block.toByteArray());
      expectedBytes += block.size();
    }
    assertThat(bytes).isEqualTo(expectedBytes);
    assertThat(received.digest()).as("the stream passes through unchanged").isEqualTo(expected.digest());

    Matcher line = envoy.awaitReady("access log line for " + path, () -> accessLogLine(path), Duration.ofSeconds(20));
    assertThat(line.group(2)).isEqualTo("200");
    assertThat(line.group(3)).isEqualTo(MODEL);
    assertThat(Double.parseDouble(line.group(4))).isEqualTo(INPUT_TOKENS);
    assertThat(Double.parseDouble(line.group(5))).isEqualTo(EVENTS);
    assertThat(Double.parseDouble(line.group(6))).isEqualTo(INPUT_TOKENS + EVENTS);
    assertThat(service.stats().streamsFailed()).isZero();
  }

  private static Optional<Matcher> accessLogLine(String path) {
    try {
      if (!Files.exists(accessLog)) {
        return Optional.empty();
      }
      for (String text : Files.readAllLines(accessLog)) {
        Matcher m = LINE.matcher(text);
        if (m.matches() && m.group(1).startsWith(path)) {
          return Optional.of(m);
        }
      }
      return Optional.empty();
    } catch (Exception e) {
      return Optional.empty();
    }
  }
}
