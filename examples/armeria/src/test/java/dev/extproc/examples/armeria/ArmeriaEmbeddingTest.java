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
