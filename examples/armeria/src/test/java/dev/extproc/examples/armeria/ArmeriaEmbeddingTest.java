package dev.extproc.examples.armeria;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.server.Server;
import dev.extproc.server.ServerMetrics;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.FakeEnvoy;
import dev.extproc.testing.Headers;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ArmeriaEmbeddingTest {
  @Test
  void fakeEnvoyExchangeThroughArmeria() throws Exception {
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
    try (ServerMetrics metrics = new ServerMetrics()) {
      Server server = ArmeriaEmbedding.start(0, scheduler, metrics);
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.activeLocalPort())
          .usePlaintext().build();
      try {
        ExchangeResult result = FakeEnvoy.forChannel(channel).run(Exchange.builder()
            .bodyMode(BodySendMode.STREAMED)
            .requestHeaders(Headers.of(":method", "POST", ":path", "/"))
            .requestBody(BodySource.random(64 * 1024, 7))
            .responseHeaders(Headers.of(":status", "200"))
            .responseBody(BodySource.of("hello from upstream"))
            .build());
        assertThat(result.upstream().body().matches(BodySource.random(64 * 1024, 7))).isTrue();
        assertThat(result.client().body().utf8()).isEqualTo("HELLO FROM UPSTREAM");
        // A 6 MiB BUFFERED body is one gRPC message: it passes only if the server took the engine's
        // max inbound message size (33 MiB) instead of gRPC's default 4 MiB.
        ExchangeResult buffered = FakeEnvoy.forChannel(channel).run(Exchange.builder()
            .bodyMode(BodySendMode.BUFFERED).bufferLimit(8 * 1024 * 1024)
            .requestHeaders(Headers.of(":method", "POST", ":path", "/"))
            .requestBody(BodySource.random(6 * 1024 * 1024, 11))
            .responseHeaders(Headers.of(":status", "200"))
            .responseBody(BodySource.of("ok"))
            .build());
        assertThat(buffered.upstream().body().matches(BodySource.random(6 * 1024 * 1024, 11)))
            .as("%s", buffered).isTrue();
        assertThat(metrics.registry().scrape()).contains("extproc_exchanges_active 0.0");
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.stop().join();
      }
    } finally {
      scheduler.shutdownNow();
    }
  }
}
