package dev.extproc.internal;

import static dev.extproc.testkit.EnvoyMessages.modes;
import static dev.extproc.testkit.EnvoyMessages.requestBody;
import static dev.extproc.testkit.EnvoyMessages.requestHeaders;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExtProcConfig;
import dev.extproc.ImmediateResponse;
import dev.extproc.ProcessorFactory;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testkit.EnvoyMessages;
import dev.extproc.testkit.ExtProcExtension;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Zero-copy inbound over the real Netty transport, under paranoid leak detection ({@link
 * NettyLeakWatch} fails a test on any LEAK: report): bodies alias Netty's direct memory, stay
 * intact until the processor's stage completes on every way an exchange can end, and are
 * released after (no buffer leaked, no byte held). Every message is parsed zero-copy here (the
 * threshold is 0).
 */
class ZeroCopyNettyTest {
  private static final ByteString BODY = EnvoyMessages.bytes(256 * 1024, 42);
  private static final ExtProcConfig CONFIG = ExtProcConfig.defaults();

  @RegisterExtension final NettyLeakWatch leaks = new NettyLeakWatch();
  @RegisterExtension final ExtProcExtension extproc = new ExtProcExtension();

  private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
  }

  private NettyTransport serve(ProcessorFactory factory) {
    NettyTransport transport = new NettyTransport(factory, CONFIG, extproc.scheduler(), 0);
    closeables.add(transport);
    return transport;
  }

  private static ProcessorFactory requestOnly(DirectionProcessor request) {
    return exchange -> new ExchangeHandler() {
      @Override public DirectionProcessor request() { return request; }
      @Override public DirectionProcessor response() { return new DirectionProcessor() {}; }
    };
  }

  // ---------------------------------------------------------------- the normal path

  @Test
  void passedThroughChunksAliasNettyDirectMemoryAndArriveIntact() {
    for (BodySendMode mode : List.of(BodySendMode.STREAMED, BodySendMode.FULL_DUPLEX_STREAMED)) {
      java.util.concurrent.atomic.AtomicLong directBytes = new java.util.concurrent.atomic.AtomicLong();
      java.util.concurrent.atomic.AtomicLong allBytes = new java.util.concurrent.atomic.AtomicLong();
      DirectionProcessor borrowing = new DirectionProcessor() {
        @Override public boolean borrowsChunks() { return true; }
        @Override public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
          // Not all: a rope piece under 128 bytes is joined to its neighbour by copying (protobuf's rope
          // rule), and a message Netty cumulated into a composite buffer may come back as a copy.
          chunk.asReadOnlyByteBufferList().forEach(b -> directBytes.addAndGet(b.isDirect() ? b.remaining() : 0));
          allBytes.addAndGet(chunk.size());
          return ctx.passThrough(chunk);
        }
      };
      NettyTransport transport = serve(requestOnly(borrowing));
      ByteString body = EnvoyMessages.bytes(2 * 1024 * 1024, 5);
      ExchangeResult result = transport.envoy().timeout(Duration.ofSeconds(20)).run(Exchange.builder()
          .bodyMode(mode).requestBody(BodySource.of(body)).chunkSize(64 * 1024).keepBodyBytes(body.size()).build());

      assertThat(result.status()).as("%s: %s", mode, result).isEqualTo(200);
      assertThat(result.upstream().body().bytes()).as(mode.name())
          .hasValue(body);
      assertThat(directBytes.get()).as("%s: body bytes handed over in Netty's direct memory", mode)
          .isGreaterThan(allBytes.get() * 9 / 10);
      awaitNothingHeld(transport);
    }
  }

  @Test
  void aProcessorThatDoesNotBorrowGetsHeapCopiesItMayKeep() {
    List<ByteString> kept = new CopyOnWriteArrayList<>();
    DirectionProcessor keeper = new DirectionProcessor() {
      @Override public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
        kept.add(chunk); // kept beyond the stage, as the default contract allows
        return ctx.passThrough(chunk);
      }
    };
    NettyTransport transport = serve(requestOnly(keeper));
    ByteString expected = ByteString.EMPTY;
    for (int seed = 0; seed < 4; seed++) { // later exchanges reuse the pooled memory of earlier ones
      ByteString body = EnvoyMessages.bytes(512 * 1024, seed);
      ExchangeResult result = transport.envoy().timeout(Duration.ofSeconds(20)).run(Exchange.builder()
          .bodyMode(BodySendMode.STREAMED).requestBody(BodySource.of(body)).chunkSize(64 * 1024).build());
      assertThat(result.status()).as("%s", result).isEqualTo(200);
      expected = expected.concat(body);
    }
    awaitNothingHeld(transport);
    assertThat(kept.stream().allMatch(chunk -> chunk.asReadOnlyByteBufferList().stream().noneMatch(ByteBuffer::isDirect)))
        .as("chunks of a processor that does not borrow are heap copies").isTrue();
    assertThat(ByteString.copyFrom(kept)).as("the kept chunks, read after their buffers were reused").isEqualTo(expected);
  }

  // ---------------------------------------------------------------- every way an exchange ends

  /** A borrowing processor whose onBody stage completes when the test says; checks its chunk is intact then. */
  private static final class Gate implements DirectionProcessor {
    final CompletableFuture<Void> release = new CompletableFuture<>();
    final CompletableFuture<ByteString> received = new CompletableFuture<>();
    final CompletableFuture<Boolean> intactAtStageEnd = new CompletableFuture<>();
    private final boolean respond;
    private final boolean fail;

    Gate(boolean respond, boolean fail) {
      this.respond = respond;
      this.fail = fail;
    }

    @Override public boolean borrowsChunks() { return true; }

    @Override public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
      received.complete(chunk);
      if (respond) {
        ctx.exchange().respond(ImmediateResponse.of(403));
      }
      return release.thenCompose(v -> {
        intactAtStageEnd.complete(chunk.equals(BODY));
        return fail ? CompletableFuture.failedFuture(new IllegalStateException("processor failure on purpose"))
            : CompletableFuture.completedFuture(null);
      });
    }
  }

  /** Sends headers and one body message, waits until the gate holds the chunk, runs {@code end}, then completes the stage. */
  private void endWhileTheStageIsOutstanding(Gate gate, CallOptions options, EndAction end, Status.Code expected)
      throws Exception {
    NettyTransport transport = serve(requestOnly(gate));
    RawCall call = new RawCall(transport, options);
    call.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.NONE), false).toByteArray());
    call.send(requestBody(BODY, false).toByteArray());
    assertThat(gate.received.get(10, TimeUnit.SECONDS)).isEqualTo(BODY);
    end.run(transport, call);
    if (expected != null) {
      assertThat(call.status.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(expected);
    }
    gate.release.complete(null);
    assertThat(gate.intactAtStageEnd.get(10, TimeUnit.SECONDS)).as("the chunk is intact until the stage completes").isTrue();
    awaitNothingHeld(transport);
  }

  interface EndAction {
    void run(NettyTransport transport, RawCall call) throws Exception;
  }

  @Test
  void cancelledByEnvoy() throws Exception {
    endWhileTheStageIsOutstanding(new Gate(false, false), CallOptions.DEFAULT, (t, call) -> call.cancel(), null);
  }

  @Test
  void deadlineExpires() throws Exception {
    endWhileTheStageIsOutstanding(new Gate(false, false), CallOptions.DEFAULT.withDeadlineAfter(300, TimeUnit.MILLISECONDS),
        (t, call) -> call.status.get(10, TimeUnit.SECONDS), Status.Code.DEADLINE_EXCEEDED);
  }

  @Test
  void protocolViolation() throws Exception {
    endWhileTheStageIsOutstanding(new Gate(false, false), CallOptions.DEFAULT,
        (t, call) -> call.send(requestHeaders(null, false).toByteArray()), null);
  }

  @Test
  void serverShutdown() throws Exception {
    endWhileTheStageIsOutstanding(new Gate(false, false), CallOptions.DEFAULT, (t, call) -> t.shutdownServerNow(), null);
  }

  @Test
  void immediateResponse() throws Exception {
    endWhileTheStageIsOutstanding(new Gate(true, false), CallOptions.DEFAULT, (t, call) -> {}, null);
  }

  @Test
  void processorError() throws Exception {
    Gate gate = new Gate(false, true);
    NettyTransport transport = serve(requestOnly(gate));
    RawCall call = new RawCall(transport, CallOptions.DEFAULT);
    call.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.NONE), false).toByteArray());
    call.send(requestBody(BODY, false).toByteArray());
    gate.received.get(10, TimeUnit.SECONDS);
    gate.release.complete(null);
    assertThat(call.status.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(gate.intactAtStageEnd.get(10, TimeUnit.SECONDS)).isTrue();
    awaitNothingHeld(transport);
  }

  @Test
  void garbageIsAnsweredAndItsBufferReleased() throws Exception {
    NettyTransport transport = serve(requestOnly(new Gate(false, false)));
    RawCall call = new RawCall(transport, CallOptions.DEFAULT);
    call.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.NONE), false).toByteArray());
    byte[] garbage = new byte[128 * 1024];
    Arrays.fill(garbage, (byte) 0xFF);
    call.send(garbage);
    Status status = call.status.get(10, TimeUnit.SECONDS);
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).contains("does not parse");
    awaitNothingHeld(transport);
  }

  private static void awaitNothingHeld(NettyTransport transport) {
    Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5))
        .until(() -> transport.stats().activeStreams() == 0 && transport.stats().bytesHeld() == 0);
  }

  /** A Process call that sends raw bytes (well-formed messages or garbage) and records the status. */
  static final class RawCall implements StreamObserver<byte[]> {
    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
      @Override public InputStream stream(byte[] value) {
        return new ByteArrayInputStream(value);
      }

      @Override public byte[] parse(InputStream stream) {
        try {
          return stream.readAllBytes();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
    private static final MethodDescriptor<byte[], byte[]> PROCESS = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .setFullMethodName("envoy.service.ext_proc.v3.ExternalProcessor/Process")
        .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();

    final CompletableFuture<Status> status = new CompletableFuture<>();
    private final io.grpc.ClientCall<byte[], byte[]> call;
    private final StreamObserver<byte[]> requests;

    RawCall(NettyTransport transport, CallOptions options) {
      this.call = transport.channel().newCall(PROCESS, options);
      this.requests = ClientCalls.asyncBidiStreamingCall(call, this);
    }

    void send(byte[] message) {
      requests.onNext(message);
    }

    void cancel() {
      call.cancel("the test cancels", null);
    }

    @Override public void onNext(byte[] reply) {
      ProcessingRequest.class.getName(); // replies are not inspected here
    }

    @Override public void onError(Throwable t) {
      status.complete(Status.fromThrowable(t));
    }

    @Override public void onCompleted() {
      status.complete(Status.OK);
    }
  }
}
