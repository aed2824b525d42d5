package dev.extproc.examples.grpcjava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.server.ServerMetrics;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.FakeEnvoy;
import dev.extproc.testing.Headers;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GrpcJavaEmbeddingTest {
  @Test
  void fakeEnvoyExchangeThroughTheEmbeddedService() throws Exception {
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
    try (ServerMetrics metrics = new ServerMetrics()) {
      Server server = GrpcJavaEmbedding.start(0, scheduler, metrics);
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
      try {
        ExchangeResult result = FakeEnvoy.forChannel(channel).run(Exchange.builder()
            .bodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
            .requestHeaders(Headers.of(":method", "POST", ":path", "/"))
            .requestBody(BodySource.of("hello"))
            .responseHeaders(Headers.of(":status", "200"))
            .responseBody(BodySource.of("hello back"))
            .build());
        assertThat(result.upstream().body().utf8()).isEqualTo("hello");
        assertThat(result.client().body().utf8()).isEqualTo("HELLO BACK");
        // A 6 MiB BUFFERED body is one gRPC message: it passes only with GrpcSettings' message size limit.
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
        server.shutdown().awaitTermination(5, TimeUnit.SECONDS);
      }
    } finally {
      scheduler.shutdownNow();
    }
  }
}
