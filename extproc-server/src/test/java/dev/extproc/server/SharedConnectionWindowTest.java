package dev.extproc.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.HttpHeaders;
import dev.extproc.Processing;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.FakeEnvoy;
import dev.extproc.testing.Headers;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Envoy multiplexes side streams on one HTTP/2 connection, and the engine leaves a message in
 * gRPC until it wants it, so a stream whose processor is stalled keeps up to its stream window of
 * unrequested bytes in the server. This test pins down what that costs the <em>other</em> streams
 * of the connection: nothing, because grpc-java's Netty server refills the connection window as
 * DATA frames arrive and only the stream window waits for the application (docs/envoy.md, "Many
 * side streams on one connection"). It fails if that ever changes (a transport, grpc-java version
 * or server setting that lets unrequested bytes hold the connection window). Real Netty transport,
 * one client connection, as Envoy uses it.
 */
class SharedConnectionWindowTest {
  private static final int STALLED_STREAMS = 3;
  private static final ByteString CHUNK = ByteString.copyFrom(new byte[64 * 1024]);
  /** More than the server's stream window, so each stalled stream fills its window. */
  private static final int CHUNKS_PER_STALLED_STREAM = 2 * GrpcSettings.FLOW_CONTROL_WINDOW_BYTES / CHUNK.size();

  @Test
  void stalledStreams_doNotStarveAnActiveStreamOnTheSameConnection() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    ConcurrentLinkedQueue<String> stalledInBody = new ConcurrentLinkedQueue<>();
    ExtProcServer server = ExtProcServer.builder(exchange -> ExchangeHandler.of(
            new StallWhenAsked(release, stalledInBody), new DirectionProcessor() {}))
        .listener(Listener.tcp("127.0.0.1", 0))
        .start();
    // One connection: the channel never opens a second one while the first is healthy.
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
    FakeEnvoy envoy = FakeEnvoy.forChannel(channel).timeout(Duration.ofSeconds(10));
    List<ClientCallStreamObserver<ProcessingRequest>> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < STALLED_STREAMS; i++) {
        String name = "stalled-" + i;
        ClientCallStreamObserver<ProcessingRequest> call = (ClientCallStreamObserver<ProcessingRequest>)
            ExternalProcessorGrpc.newStub(channel).process(new IgnoringObserver());
        stalled.add(call);
        call.onNext(requestHeaders(name));
        for (int c = 0; c < CHUNKS_PER_STALLED_STREAM; c++) {
          call.onNext(requestBody(CHUNK));
        }
        // The client queued all 2 MiB before this stream's first chunk reached the processor, so the
        // stream has sent what the server lets it (its 1 MiB stream window) by now; were those
        // unrequested bytes holding the 1 MiB connection window, the next stream's messages (and
        // this wait for them) would never get through.
        await().atMost(Duration.ofSeconds(10)).until(() -> stalledInBody.contains(name));
      }

      BodySource requestBody = BodySource.random(512 * 1024, 7);
      BodySource responseBody = BodySource.random(512 * 1024, 8);
      ExchangeResult active = envoy.run(Exchange.builder().bodyMode(BodySendMode.STREAMED)
          .requestHeaders(Headers.of(":method", "POST", ":path", "/active"))
          .requestBody(requestBody)
          .responseHeaders(Headers.of(":status", "200"))
          .responseBody(responseBody)
          .build());

      assertThat(active.upstream().body().matches(requestBody)).isTrue();
      assertThat(active.client().body().matches(responseBody)).isTrue();
      assertThat(stalledInBody).hasSize(STALLED_STREAMS); // still stalled: each holds its window
    } finally {
      release.complete(null);
      stalled.forEach(call -> call.cancel("test over", null));
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.stop(Duration.ofSeconds(5));
    }
  }

  /**
   * Holds every body chunk of a request whose {@code :path} starts with "/stalled" until released;
   * one instance per exchange.
   */
  private static final class StallWhenAsked implements DirectionProcessor {
    private final CompletableFuture<Void> release;
    private final ConcurrentLinkedQueue<String> stalledInBody;
    private String stalledName;

    StallWhenAsked(CompletableFuture<Void> release, ConcurrentLinkedQueue<String> stalledInBody) {
      this.release = release;
      this.stalledInBody = stalledInBody;
    }

    @Override
    public CompletionStage<Void> onHeaders(DirectionContext ctx, HttpHeaders headers, boolean endOfStream) {
      String path = headers.get(":path");
      if (path != null && path.startsWith("/stalled")) {
        stalledName = path.substring(1);
      }
      return Processing.done();
    }

    @Override
    public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
      if (stalledName == null) {
        return ctx.passThrough(chunk);
      }
      if (!stalledInBody.contains(stalledName)) {
        stalledInBody.add(stalledName);
      }
      return release.thenCompose(ignored -> ctx.passThrough(chunk));
    }
  }

  /** Replies of a stalled stream are not looked at. */
  private static final class IgnoringObserver implements StreamObserver<ProcessingResponse> {
    @Override
    public void onNext(ProcessingResponse value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }

  private static ProcessingRequest requestHeaders(String name) {
    return ProcessingRequest.newBuilder()
        .setRequestHeaders(io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders.newBuilder()
            .setHeaders(HeaderMap.newBuilder()
                .addHeaders(HeaderValue.newBuilder().setKey(":method").setRawValue(ByteString.copyFromUtf8("POST")))
                .addHeaders(HeaderValue.newBuilder().setKey(":path").setRawValue(ByteString.copyFromUtf8("/" + name)))))
        .setProtocolConfig(ProtocolConfiguration.newBuilder()
            .setRequestBodyMode(BodySendMode.STREAMED).setResponseBodyMode(BodySendMode.STREAMED))
        .build();
  }

  private static ProcessingRequest requestBody(ByteString chunk) {
    return ProcessingRequest.newBuilder().setRequestBody(HttpBody.newBuilder().setBody(chunk)).build();
  }
}
