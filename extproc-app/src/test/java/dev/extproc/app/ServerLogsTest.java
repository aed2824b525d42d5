package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.FakeEnvoy;
import dev.extproc.testing.Headers;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server run at DEBUG with JSON logs carries secret headers and bodies; its log holds none of
 * them, and every line is a JSON object with an ISO-8601 timestamp with zone.
 */
class ServerLogsTest {
  private static final List<String> SECRETS = List.of("Bearer-AUTH-SECRET-1", "COOKIE-SECRET-2", "SETCOOKIE-SECRET-3",
      "PROXY-SECRET-4", "APIKEY-SECRET-5", "REQUEST-BODY-SECRET-6", "RESPONSE-BODY-SECRET-7");

  /** Issue #9's sequence: request headers, then 3 bytes that are no ProcessingRequest, then another message. */
  private static void sendUnparseableMessages(ManagedChannel channel) throws Exception {
    io.grpc.MethodDescriptor.Marshaller<byte[]> raw = new io.grpc.MethodDescriptor.Marshaller<>() {
      @Override
      public java.io.InputStream stream(byte[] value) {
        return new java.io.ByteArrayInputStream(value);
      }

      @Override
      public byte[] parse(java.io.InputStream stream) {
        try {
          return stream.readAllBytes();
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    };
    io.grpc.MethodDescriptor<byte[], byte[]> process = io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
        .setFullMethodName("envoy.service.ext_proc.v3.ExternalProcessor/Process")
        .setRequestMarshaller(raw).setResponseMarshaller(raw).build();
    java.util.concurrent.CompletableFuture<io.grpc.Status> closed = new java.util.concurrent.CompletableFuture<>();
    io.grpc.ClientCall<byte[], byte[]> call = channel.newCall(process, io.grpc.CallOptions.DEFAULT);
    call.start(new io.grpc.ClientCall.Listener<>() {
      @Override
      public void onClose(io.grpc.Status status, io.grpc.Metadata trailers) {
        closed.complete(status);
      }
    }, new io.grpc.Metadata());
    call.request(Integer.MAX_VALUE);
    call.sendMessage(io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest.newBuilder()
        .setRequestHeaders(io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders.getDefaultInstance()).build().toByteArray());
    call.sendMessage(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
    call.sendMessage(new byte[0]);
    call.halfClose();
    assertThat(closed.get(30, TimeUnit.SECONDS).isOk()).as("an unparseable message fails the stream").isFalse();
  }

  @Test
  void jsonLogsOfARunWithSecretHeadersAndBodies_holdNoneOfThem(@TempDir Path dir) throws Exception {
    Path ready = dir.resolve("server.ready");
    Path log = dir.resolve("server.log");
    ProcessBuilder builder = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        "dev.extproc.app.ExtProcMain", "server", "--port", "0", "--admin-port", "0", "--log-format", "json",
        "--log-exchanges", "--redact-header", "x-api-key", "--processor", "capture",
        "--capture-dir", dir.resolve("captures").toString(), "--ready-file", ready.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().put("EXTPROC_LOG_LEVEL", "DEBUG");
    Process process = builder.start();
    ManagedChannel channel = null;
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(ready) || !process.isAlive());
      assertThat(process.isAlive()).as("server exited early: %s", Files.readString(log)).isTrue();
      Properties properties = new Properties();
      try (var in = Files.newBufferedReader(ready)) {
        properties.load(in);
      }
      channel = NettyChannelBuilder.forAddress("127.0.0.1", Integer.parseInt(properties.getProperty("grpc.port")))
          .usePlaintext().build();
      FakeEnvoy envoy = FakeEnvoy.forChannel(channel);
      for (int i = 0; i < 3; i++) {
        envoy.run(Exchange.builder().bodyMode(BodySendMode.STREAMED)
            .requestHeaders(Headers.of(":method", "POST", ":path", "/upload", "authorization", SECRETS.get(0),
                "cookie", "session=" + SECRETS.get(1), "proxy-authorization", SECRETS.get(3),
                "x-api-key", SECRETS.get(4)))
            .requestBody(BodySource.of(SECRETS.get(5)))
            .responseHeaders(Headers.of(":status", "200", "set-cookie", SECRETS.get(2)))
            .responseBody(BodySource.of(SECRETS.get(6)))
            .build());
      }
      sendUnparseableMessages(channel); // grpc-java reports these through JDK logging: must come out as JSON too
      process.destroy(); // SIGTERM: drain and stop, logging as it goes
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      if (channel != null) {
        channel.shutdownNow();
      }
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    String text = Files.readString(log);
    assertThat(text).as("the log").contains("ext_proc server listening").contains("draining");
    for (String secret : SECRETS) {
      assertThat(text).as("log must not contain %s", secret).doesNotContain(secret);
    }
    ObjectMapper mapper = new ObjectMapper();
    int summaries = 0;
    int protocolErrors = 0;
    for (String line : text.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode json = mapper.readTree(line);
      assertThat(json.isObject()).as("a JSON object: %s", line).isTrue();
      assertThat(OffsetDateTime.parse(json.get("@timestamp").asText())).as("ISO-8601 with zone: %s", line).isNotNull();
      assertThat(json.has("level") && json.has("message") && json.has("logger_name")).as(line).isTrue();
      if (json.get("message").asText().startsWith("exchange ended ")) {
        summaries++;
        assertThat(json.get("logger_name").asText()).isEqualTo("dev.extproc.exchange");
        assertThat(json.get("exchange_id").asText()).as("MDC exchange id: %s", line).isNotBlank();
        String message = json.get("message").asText();
        if (message.contains("outcome=protocol_error")) {
          protocolErrors++;
        } else {
          assertThat(message).contains("outcome=completed").contains("request_bytes_in=" + SECRETS.get(5).length());
        }
      }
    }
    assertThat(summaries).as("one summary line per exchange").isEqualTo(4);
    assertThat(protocolErrors).as("the unparseable stream").isEqualTo(1);
  }
}
