package dev.extproc.examples.armeria;

import com.google.protobuf.ByteString;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.grpc.GrpcService;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.ProcessorFactory;
import dev.extproc.server.GrpcSettings;
import dev.extproc.server.ServerMetrics;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Embedding the engine in an Armeria server through its gRPC service support: the same flow-control
 * window and message size limit as {@link GrpcSettings}, set with Armeria's own knobs.
 */
public final class ArmeriaEmbedding {
  /** Passes requests through and upper-cases response bodies, chunk by chunk. */
  public static final ProcessorFactory UPPER_CASE_RESPONSES = exchange -> ExchangeHandler.of(
      new DirectionProcessor() {},
      new DirectionProcessor() {
        @Override
        public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
          return ctx.write(ByteString.copyFromUtf8(chunk.toStringUtf8().toUpperCase(Locale.ROOT)));
        }
      });

  private ArmeriaEmbedding() {}

  /** Starts an Armeria server on {@code port} (0 picks one) serving ext_proc over h2c. */
  public static Server start(int port, ScheduledExecutorService scheduler, ServerMetrics metrics) {
    ExtProcConfig config = ExtProcConfig.defaults();
    ExtProcService extProc = ExtProcService.builder(UPPER_CASE_RESPONSES)
        .config(config).scheduler(scheduler).observer(metrics.observer()).build();
    metrics.bindStats(extProc.stats());
    Server server = Server.builder()
        .http(port)
        // The engine's fixed window: no auto-tuning, so bytes in flight per stream stay bounded.
        .http2InitialStreamWindowSize(GrpcSettings.FLOW_CONTROL_WINDOW_BYTES)
        .http2InitialConnectionWindowSize(GrpcSettings.FLOW_CONTROL_WINDOW_BYTES)
        .maxRequestLength(0) // a stream's length is unbounded; gRPC's per-message limit applies instead
        .requestTimeoutMillis(0) // ext_proc streams live as long as the HTTP exchange
        .service(GrpcService.builder()
            .addService(extProc)
            .maxRequestMessageLength(config.maxInboundMessageBytes())
            .build())
        .build();
    server.start().join();
    return server;
  }
}
