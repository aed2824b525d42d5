package dev.extproc.examples.spring;

import com.google.protobuf.ByteString;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.ProcessorFactory;
import dev.extproc.server.GrpcSettings;
import dev.extproc.server.ServerMetrics;
import io.grpc.ServerBuilder;
import io.grpc.netty.NettyServerBuilder;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.grpc.server.ServerBuilderCustomizer;

/**
 * Embedding the engine in Spring Boot with Spring gRPC: the {@link ExtProcService} is a
 * {@code BindableService} bean, which Spring gRPC binds to its server; a {@link
 * ServerBuilderCustomizer} gives that server the transport settings the engine relies on.
 */
@SpringBootApplication
public class SpringBootEmbedding {
  /** Passes requests through and upper-cases response bodies, chunk by chunk. */
  public static final ProcessorFactory UPPER_CASE_RESPONSES = exchange -> ExchangeHandler.of(
      new DirectionProcessor() {},
      new DirectionProcessor() {
        @Override
        public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
          return ctx.write(ByteString.copyFromUtf8(chunk.toStringUtf8().toUpperCase(Locale.ROOT)));
        }
      });

  @Bean
  ExtProcConfig extProcConfig() {
    return ExtProcConfig.defaults();
  }

  @Bean(destroyMethod = "shutdownNow")
  ScheduledExecutorService extProcScheduler() {
    return Executors.newScheduledThreadPool(2);
  }

  @Bean(destroyMethod = "close")
  ServerMetrics extProcMetrics() {
    return new ServerMetrics();
  }

  @Bean
  ExtProcService extProcService(ExtProcConfig config, ScheduledExecutorService extProcScheduler, ServerMetrics metrics) {
    ExtProcService service = ExtProcService.builder(UPPER_CASE_RESPONSES)
        .config(config).scheduler(extProcScheduler).observer(metrics.observer()).build();
    metrics.bindStats(service.stats());
    return service;
  }

  /**
   * The engine's fixed 1 MiB flow-control window and the max inbound message size its config needs,
   * on whichever Netty server Spring gRPC runs (grpc-netty-shaded when it is on the class path, as
   * here, else grpc-netty).
   */
  @Bean
  <T extends ServerBuilder<T>> ServerBuilderCustomizer<T> extProcTransport(ExtProcConfig config) {
    return builder -> {
      if (builder instanceof io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder shaded) {
        GrpcSettings.apply(shaded, config);
      } else if (builder instanceof NettyServerBuilder netty) {
        netty.flowControlWindow(GrpcSettings.FLOW_CONTROL_WINDOW_BYTES);
      }
      builder.maxInboundMessageSize(config.maxInboundMessageBytes());
    };
  }
}
