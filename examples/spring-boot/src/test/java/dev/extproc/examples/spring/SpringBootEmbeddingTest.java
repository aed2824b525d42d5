package dev.extproc.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.server.ServerMetrics;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.FakeEnvoy;
import dev.extproc.testing.Headers;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;

class SpringBootEmbeddingTest {
  @Test
  void fakeEnvoyExchangeThroughSpringGrpc() throws Exception {
    SpringApplication app = new SpringApplication(SpringBootEmbedding.class);
    java.util.concurrent.CompletableFuture<Integer> port = new java.util.concurrent.CompletableFuture<>();
    app.addListeners(event -> {
      if (event instanceof GrpcServerStartedEvent started) {
        port.complete(started.getPort());
      }
    });
    try (ConfigurableApplicationContext context = app.run("--spring.grpc.server.port=0",
        "--spring.grpc.server.host=127.0.0.1", "--spring.main.banner-mode=off")) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port.get(30, TimeUnit.SECONDS))
          .usePlaintext().build();
      try {
        ExchangeResult result = FakeEnvoy.forChannel(channel).run(Exchange.builder()
            .bodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
            .requestHeaders(Headers.of(":method", "POST", ":path", "/"))
            .requestBody(BodySource.of("hello"))
            .responseHeaders(Headers.of(":status", "200"))
            .responseBody(BodySource.of("hello from spring"))
            .build());
        assertThat(result.upstream().body().utf8()).isEqualTo("hello");
        assertThat(result.client().body().utf8()).isEqualTo("HELLO FROM SPRING");
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
        assertThat(context.getBean(ServerMetrics.class).registry().scrape()).contains("extproc_exchanges_active 0.0");
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
