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
import dev.extproc.testing.RawStream;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Envoy multiplexes side streams on one HTTP/2 connection. A stream whose processor is stalled
 * leaves up to its stream window of unrequested bytes on the connection; grpc-java alone gives the
 * connection the window of one stream, so such a stream used to starve every other stream of that
 * connection (docs/envoy.md, "Many side streams on one connection"). Real Netty transport, one
 * client connection, as Envoy would use it.
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
    List<RawStream> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < STALLED_STREAMS; i++) {
        RawStream raw = envoy.openRaw();
        stalled.add(raw);
        raw.send(requestHeaders("stalled-" + i));
        raw.nextReply(); // the header reply: this stream's headers got through
        for (int c = 0; c < CHUNKS_PER_STALLED_STREAM; c++) {
          raw.send(requestBody(CHUNK));
        }
        String name = "stalled-" + i;
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
      stalled.forEach(RawStream::close);
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.stop(Duration.ofSeconds(5));
    }
  }

  @Test
  void targetWindow_growsWithOpenStreams_andStopsAtTheHttp2Maximum() {
    int window = GrpcSettings.FLOW_CONTROL_WINDOW_BYTES;
    assertThat(StreamScaledConnectionWindow.targetWindow(window, 0)).isEqualTo(window);
    assertThat(StreamScaledConnectionWindow.targetWindow(window, 3)).isEqualTo(7 * window);
    assertThat(StreamScaledConnectionWindow.targetWindow(window, 5000)).isEqualTo(Integer.MAX_VALUE);
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
