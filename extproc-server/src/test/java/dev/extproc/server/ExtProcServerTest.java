package dev.extproc.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.extproc.PassthroughProcessor;
import dev.extproc.server.PrometheusText.Family;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.FakeEnvoy;
import dev.extproc.testing.Headers;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExtProcServerTest {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  static Exchange smallExchange() {
    return Exchange.builder().bodyMode(BodySendMode.STREAMED)
        .requestHeaders(Headers.of(":method", "POST", ":path", "/x"))
        .requestBody(BodySource.of("hello"))
        .responseHeaders(Headers.of(":status", "200"))
        .responseBody(BodySource.of("world"))
        .build();
  }

  @Test
  void callExecutor_runsTheServiceOnTheGivenExecutor_elseOnGrpcsOwn() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor(task -> new Thread(task, "blocking-pool"));
    try {
      assertThat(factoryThread(pool)).isEqualTo("blocking-pool");
      assertThat(factoryThread(null)).isNotEqualTo("blocking-pool").startsWith("grpc-default-executor");
    } finally {
      pool.shutdownNow();
    }
  }

  /** Returns the name of the thread the server made an exchange's processors on. */
  private static String factoryThread(ExecutorService pool) throws Exception {
    AtomicReference<String> thread = new AtomicReference<>();
    ExtProcServer server = ExtProcServer.builder(exchange -> {
          thread.set(Thread.currentThread().getName());
          return PassthroughProcessor.factory().newProcessor(exchange);
        })
        .listener(Listener.tcp("127.0.0.1", 0))
        .callExecutor(pool)
        .start();
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
    try {
      assertThat(FakeEnvoy.forChannel(channel).run(smallExchange()).client().body().utf8()).isEqualTo("world");
      return thread.get();
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      server.close();
    }
  }

  @Test
  void tcp_servesExchangesHealthStatsAndMetrics_thenDrains() throws Exception {
    ExtProcServer server = ExtProcServer.builder(PassthroughProcessor.factory())
        .listener(Listener.tcp("127.0.0.1", 0))
        .admin(new InetSocketAddress("127.0.0.1", 0))
        .gauge("test_gauge", () -> 42)
        .counter("test_things", () -> 7)
        .start();
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
    try {
      ExchangeResult result = FakeEnvoy.forChannel(channel).run(smallExchange());
      assertThat(result.client().body().utf8()).isEqualTo("world");
      assertThat(HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()).getStatus())
          .isEqualTo(ServingStatus.SERVING);
      assertThat(get(server, "/healthz").body()).isEqualTo("ok");
      await().atMost(Duration.ofSeconds(10)).until(() -> get(server, "/stats").body().contains("\"active_streams\":0,"));
      assertThat(get(server, "/stats").body()).contains("\"streams_started\":1,").contains("\"test_gauge\":42")
          .contains("\"heap_used_bytes\":").contains("\"gc_collections\":").contains("\"gc_full_collections\":").contains("\"streams_ended_completed\":");

      Map<String, Family> metrics = PrometheusText.parse(get(server, "/metrics").body());
      assertThat(metrics.keySet()).allMatch(name -> name.startsWith("extproc_"));
      assertThat(metrics).containsKeys("extproc_exchanges_active", "extproc_body_held_bytes",
          "extproc_body_held_peak_per_exchange_bytes", "extproc_test_gauge", "extproc_jvm_memory_used_bytes",
          "extproc_netty_direct_memory_used_bytes");
      assertThat(metrics).containsKeys("extproc_grpc_server_requests_received_messages_total",
          "extproc_grpc_server_responses_sent_messages_total", "extproc_grpc_server_processing_duration_seconds");
      assertThat(MetricsTest.value(metrics, "extproc_test_gauge", Map.of())).isEqualTo(42);
      // A processor's ever-growing count is a counter, with the _total suffix, in /stats too.
      assertThat(metrics.get("extproc_test_things_total").type()).isEqualTo("counter");
      assertThat(MetricsTest.value(metrics, "extproc_test_things_total", Map.of())).isEqualTo(7);
      assertThat(get(server, "/stats").body()).contains("\"test_things\":7");
      // Fed by the engine's observer events: the exchange above, end to end.
      assertThat(MetricsTest.value(metrics, "extproc_exchanges_started_total",
          Map.of("request_mode", "STREAMED", "response_mode", "STREAMED"))).isEqualTo(1);
      assertThat(MetricsTest.value(metrics, "extproc_exchanges_ended_total",
          Map.of("outcome", "completed", "request_mode", "STREAMED", "response_mode", "STREAMED"))).isEqualTo(1);
      assertThat(MetricsTest.value(metrics, "extproc_body_received_bytes_total", Map.of("direction", "request")))
          .isEqualTo(5);
      assertThat(MetricsTest.value(metrics, "extproc_body_received_bytes_total", Map.of("direction", "response")))
          .isEqualTo(5);
      assertThat(MetricsTest.value(metrics, "extproc_messages_received_total",
          Map.of("direction", "request", "part", "headers"))).isEqualTo(1);
      assertThat(MetricsTest.value(metrics, "extproc_exchange_duration_seconds_count", Map.of("outcome", "completed")))
          .isEqualTo(1);
      assertThat(MetricsTest.value(metrics, "extproc_processor_latency_seconds_count",
          Map.of("direction", "request", "event", "headers"))).isEqualTo(1);
    } finally {
      channel.shutdownNow();
      server.stop(Duration.ofSeconds(5));
    }
    assertThat(server.draining()).isTrue();
  }

  @Test
  void uds_listensOnTheSocketWithMode0660_andRemovesItOnStop(@TempDir Path dir) throws Exception {
    Path socket = dir.resolve("extproc.sock");
    ExtProcServer server = ExtProcServer.builder(PassthroughProcessor.factory()).listener(Listener.uds(socket)).start();
    EpollEventLoopGroup group = new EpollEventLoopGroup(1);
    ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext().build();
    try {
      assertThat(server.grpcPort()).isEqualTo(-1);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-rw----");
      assertThat(FakeEnvoy.forChannel(channel).run(smallExchange()).client().body().utf8()).isEqualTo("world");
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
      server.stop(Duration.ofSeconds(5));
    }
    assertThat(socket).doesNotExist();
  }

  @Test
  void uds_inAMissingDirectory_isRefusedBeforeAnythingListens(@TempDir Path dir) {
    Path socket = dir.resolve("missing/extproc.sock");
    assertThatThrownBy(() -> ExtProcServer.builder(PassthroughProcessor.factory()).listener(Listener.uds(socket)).start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("uds: " + socket + ": directory " + socket.getParent()
            + " does not exist (expected: a path in an existing directory)");
  }

  @Test
  void uds_refusesToReplaceAFileThatIsNotASocket(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("data"), "keep me");
    assertThatThrownBy(() -> ExtProcServer.builder(PassthroughProcessor.factory()).listener(Listener.uds(file)).start())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exists and is not a socket");
    assertThat(file).hasContent("keep me");
  }

  private HttpResponse<String> get(ExtProcServer server, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.adminPort() + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
