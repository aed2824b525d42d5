package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.extproc.ExtProcConfig;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerCommandTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void inconsistentLimitsAreRefusedWithOneLineAndExitCodeTwo() {
    StringWriter err = new StringWriter();
    int code = ExtProcMain.newCommandLine().setErr(new PrintWriter(err))
        .execute("server", "--port", "0", "--admin-port", "0",
            "--max-chunk-bytes", "2MiB", "--max-pending-output-bytes", "1MiB");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).isEqualTo(
        "extproc server: maxPendingOutputBytes: 1048576 (expected: >= maxChunkBytes 2097152, or no chunk could ever be held)"
            + System.lineSeparator() + "Try 'extproc server --help' for the options." + System.lineSeparator());
  }

  @Test
  void sigtermLetsTheStreamInFlightFinishThenExits(@TempDir Path dir) throws Exception {
    Path ready = dir.resolve("server.ready");
    Path log = dir.resolve("server.log");
    Process process = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        "dev.extproc.app.ExtProcMain", "server", "--port", "0", "--admin-port", "0",
        "--shutdown-grace", "20s", "--ready-file", ready.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    ManagedChannel channel = null;
    try {
      await().atMost(TIMEOUT).until(() -> Files.exists(ready) || !process.isAlive());
      assertThat(process.isAlive()).as("server exited early: %s", readLog(log)).isTrue();
      Properties properties = new Properties();
      try (var in = Files.newBufferedReader(ready)) {
        properties.load(in);
      }
      assertThat(properties.getProperty("pid")).isEqualTo(Long.toString(process.pid()));
      int grpcPort = Integer.parseInt(properties.getProperty("grpc.port"));
      int adminPort = Integer.parseInt(properties.getProperty("admin.port"));
      channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
      Stream stream = Stream.open(channel);
      stream.send(headers(false));
      assertThat(stream.next().hasRequestHeaders()).isTrue();

      process.destroy(); // SIGTERM
      await().atMost(TIMEOUT).until(() -> get(adminPort, "/healthz").statusCode() == 503);
      assertThat(process.isAlive()).isTrue();

      stream.send(ProcessingRequest.newBuilder()
          .setRequestBody(HttpBody.newBuilder().setBody(ByteString.copyFromUtf8("late")).setEndOfStream(true)).build());
      assertThat(stream.next().hasRequestBody()).isTrue();
      stream.requests.onCompleted();
      assertThat(stream.status.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
      assertThat(process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("server still running after its stream ended").isTrue();
      assertThat(readLog(log)).contains("draining").contains("stopped");
    } finally {
      if (channel != null) {
        channel.shutdownNow();
      }
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void sigtermCancelsStreamsStillOpenWhenTheGraceRunsOut(@TempDir Path dir) throws Exception {
    Path ready = dir.resolve("server.ready");
    Path log = dir.resolve("server.log");
    Process process = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        "dev.extproc.app.ExtProcMain", "server", "--port", "0", "--admin-port", "0",
        "--shutdown-grace", "1s", "--ready-file", ready.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    ManagedChannel channel = null;
    try {
      await().atMost(TIMEOUT).until(() -> Files.exists(ready) || !process.isAlive());
      assertThat(process.isAlive()).as("server exited early: %s", readLog(log)).isTrue();
      Properties properties = new Properties();
      try (var in = Files.newBufferedReader(ready)) {
        properties.load(in);
      }
      channel = NettyChannelBuilder.forAddress("127.0.0.1", Integer.parseInt(properties.getProperty("grpc.port")))
          .usePlaintext().build();
      Stream stream = Stream.open(channel);
      stream.send(headers(false));
      assertThat(stream.next().hasRequestHeaders()).isTrue();

      process.destroy(); // SIGTERM; the stream never ends by itself
      assertThat(stream.status.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).isOk()).isFalse();
      assertThat(process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("server still running after its grace").isTrue();
      assertThat(readLog(log)).contains("grace PT1S over: cancelling 1 streams still open").contains("stopped");
    } finally {
      if (channel != null) {
        channel.shutdownNow();
      }
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void optionsMapOntoTheEngineConfiguration() {
    ServerCommand command = new ServerCommand();
    new picocli.CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true).parseArgs(
        "--request-body-mode", "full_duplex_streamed", "--response-body-mode", "BUFFERED",
        "--max-chunk-bytes", "16KiB", "--max-body-message-bytes", "8MiB", "--max-pending-output-bytes", "256k",
        "--mode-override-allowed", "--on-processor-error", "immediate-500");
    ExtProcConfig config = command.config();
    assertThat(config.defaultMode().getRequestBodyMode()).isEqualTo(BodySendMode.FULL_DUPLEX_STREAMED);
    assertThat(config.defaultMode().getResponseBodyMode()).isEqualTo(BodySendMode.BUFFERED);
    assertThat(config.maxChunkBytes()).isEqualTo(16 * 1024);
    assertThat(config.maxBodyMessageBytes()).isEqualTo(8 * 1024 * 1024);
    assertThat(config.maxPendingOutputBytes()).isEqualTo(256 * 1024);
    assertThat(config.maxInboundMessageBytes()).isEqualTo(9 * 1024 * 1024);
    assertThat(config.modeOverrideAllowed()).isTrue();
    assertThat(config.processorErrorPolicy()).isEqualTo(ExtProcConfig.ProcessorErrorPolicy.IMMEDIATE_500);
  }

  private static String readLog(Path log) throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }

  private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static ProcessingRequest headers(boolean endOfStream) {
    return ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder().setEndOfStream(endOfStream))
        .setProtocolConfig(ProtocolConfiguration.newBuilder()
            .setRequestBodyMode(BodySendMode.STREAMED).setResponseBodyMode(BodySendMode.STREAMED))
        .build();
  }

  /** A raw Process stream. */
  private static final class Stream implements StreamObserver<ProcessingResponse> {
    final LinkedBlockingQueue<ProcessingResponse> replies = new LinkedBlockingQueue<>();
    final CompletableFuture<Status> status = new CompletableFuture<>();
    StreamObserver<ProcessingRequest> requests;

    static Stream open(ManagedChannel channel) {
      Stream stream = new Stream();
      stream.requests = ExternalProcessorGrpc.newStub(channel).process(stream);
      return stream;
    }

    void send(ProcessingRequest request) {
      requests.onNext(request);
    }

    ProcessingResponse next() throws InterruptedException {
      ProcessingResponse reply = replies.poll(10, TimeUnit.SECONDS);
      assertThat(reply).as("reply within 10 s; status %s", status.getNow(null)).isNotNull();
      return reply;
    }

    @Override
    public void onNext(ProcessingResponse value) {
      replies.add(value);
    }

    @Override
    public void onError(Throwable t) {
      status.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      status.complete(Status.OK);
    }
  }
}
