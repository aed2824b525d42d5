package dev.extproc.examples.grpcjava;

import com.google.protobuf.ByteString;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.ProcessorFactory;
import dev.extproc.server.GrpcSettings;
import dev.extproc.server.ServerMetrics;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Embedding the engine in a grpc-java server you build yourself: the ext_proc service next to your
 * own services, with the transport settings the engine relies on ({@link GrpcSettings}) and its
 * metrics in a Micrometer registry ({@link ServerMetrics}).
 */
public final class GrpcJavaEmbedding {
  /** Passes requests through and upper-cases response bodies, chunk by chunk. */
  public static final ProcessorFactory UPPER_CASE_RESPONSES = exchange -> ExchangeHandler.of(
      new DirectionProcessor() {},
      new DirectionProcessor() {
        @Override
        public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
          return ctx.write(ByteString.copyFromUtf8(chunk.toStringUtf8().toUpperCase(Locale.ROOT)));
        }
      });

  private GrpcJavaEmbedding() {}

  /** Starts a plaintext gRPC server on {@code port} (0 picks one) serving ext_proc and health. */
  public static Server start(int port, ScheduledExecutorService scheduler, ServerMetrics metrics) throws IOException {
    ExtProcConfig config = ExtProcConfig.defaults();
    ExtProcService extProc = ExtProcService.builder(UPPER_CASE_RESPONSES)
        .config(config)
        .scheduler(scheduler)               // yours; shut it down after the server
        .observer(metrics.observer())       // exchange metrics; metrics.registry().scrape() is /metrics
        .build();
    metrics.bindStats(extProc.stats());
    HealthStatusManager health = new HealthStatusManager();
    Server server = GrpcSettings.apply(NettyServerBuilder.forPort(port), config) // fixed 1 MiB window, max message size
        .addService(extProc)
        .addService(health.getHealthService())
        .build()
        .start();
    health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    return server;
  }
}
