package dev.extproc.internal;

import static dev.extproc.internal.TestEnvoy.modes;
import static dev.extproc.internal.TestEnvoy.requestBody;
import static dev.extproc.internal.TestEnvoy.requestHeaders;
import static dev.extproc.internal.TestEnvoy.responseHeaders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.extproc.Direction;
import dev.extproc.ExchangeInfo;
import dev.extproc.ExchangeObserver;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExchangeProcessor;
import dev.extproc.ExchangeSummary;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import dev.extproc.MessageContext;
import dev.extproc.MessagePart;
import dev.extproc.Processing;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * The engine under hostile input (issue #9), through raw-bytes gRPC calls: unparseable messages,
 * unknown enum values, every outcome of the taxonomy, the observer and the MDC.
 */
class EngineReliabilityTest {
  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
  private static final MethodDescriptor<byte[], byte[]> RAW = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
      .setFullMethodName(ExternalProcessorGrpc.getProcessMethod().getFullMethodName())
      .setRequestMarshaller(BYTES)
      .setResponseMarshaller(BYTES)
      .build();

  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
  private final List<String> observed = new CopyOnWriteArrayList<>();
  private final List<ExchangeSummary> summaries = new CopyOnWriteArrayList<>();
  private final List<ExchangeOutcome> closes = new CopyOnWriteArrayList<>();
  private final AtomicInteger handlers = new AtomicInteger();
  private volatile ExchangeProcessor behaviour = new ExchangeProcessor() {};
  private ExtProcService service;
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws IOException {
    ExchangeObserver observer = new ExchangeObserver() {
      @Override public void onStart(ExchangeInfo exchange) { observed.add("start"); }
      @Override public void onMessageReceived(ExchangeInfo e, Direction d, MessagePart p, int bytes) { observed.add("in:" + d.label() + ":" + p.label()); }
      @Override public void onMessageSent(ExchangeInfo e, Direction d, MessagePart p, int bytes) { observed.add("out:" + d.label() + ":" + p.label()); }
      @Override public void onProcessorEvent(ExchangeInfo e, Direction d, MessagePart p, boolean end, long nanos) { observed.add("event:" + d.label() + ":" + p.label() + (end ? ":end" : "")); }
      @Override public void onEnd(ExchangeSummary summary) { summaries.add(summary); observed.add("end"); }
    };
    service = ExtProcService.builder(exchange -> {
      handlers.incrementAndGet();
      ExchangeProcessor inner = behaviour;
      return new ExchangeProcessor() {
        @Override public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean eos) { return inner.onHeaders(ctx, headers, eos); }
        @Override public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) { return inner.onBody(ctx, chunk); }
        @Override public CompletionStage<Void> onEnd(MessageContext ctx) { return inner.onEnd(ctx); }
        @Override public void onClose(ExchangeOutcome outcome) { closes.add(outcome); }
      };
    }).config(ExtProcConfig.defaults()).scheduler(scheduler).observer(observer).build();
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(service).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow();
    server.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
    server.awaitTermination(5, TimeUnit.SECONDS);
    scheduler.shutdownNow();
  }

  /** One raw call: bytes in, bytes out. */
  private final class RawCall implements StreamObserver<byte[]> {
    final LinkedBlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
    final CompletableFuture<Status> status = new CompletableFuture<>();
    final StreamObserver<byte[]> requests;

    RawCall(CallOptions options) {
      requests = ClientCalls.asyncBidiStreamingCall(channel.newCall(RAW, options), this);
    }

    RawCall send(ProcessingRequest message) {
      requests.onNext(message.toByteArray());
      return this;
    }

    RawCall send(byte[] raw) {
      requests.onNext(raw);
      return this;
    }

    byte[] next() throws InterruptedException {
      byte[] reply = replies.poll(10, TimeUnit.SECONDS);
      assertThat(reply).as("a reply within 10 s; status %s", status.getNow(null)).isNotNull();
      return reply;
    }

    Status awaitStatus() throws Exception {
      return status.get(10, TimeUnit.SECONDS);
    }

    @Override public void onNext(byte[] value) { replies.add(value); }
    @Override public void onError(Throwable t) { status.complete(Status.fromThrowable(t)); }
    @Override public void onCompleted() { status.complete(Status.OK); }
  }

  private RawCall call() {
    return new RawCall(CallOptions.DEFAULT);
  }

  private void awaitIdle() {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(service.stats().activeStreams()).as("active streams").isZero();
      assertThat(service.stats().bytesHeld()).as("bytes held").isZero();
    });
  }

  private static ProcessingRequest firstHeaders(boolean endOfStream) {
    return requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.NONE), endOfStream, ":path", "/");
  }

  @Test
  void unparseableMessageMidStream_invalidArgument_exchangeClosed_onCloseOnce_protocolError() throws Exception {
    RawCall call = call().send(firstHeaders(false)).send(requestBody(ByteString.copyFromUtf8("abc"), false))
        .send(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff})
        .send(requestBody(ByteString.copyFromUtf8("def"), true));

    Status status = call.awaitStatus();
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).contains("ProcessingRequest does not parse").contains("rule");
    awaitIdle();
    await().untilAsserted(() -> assertThat(closes).containsExactly(ExchangeOutcome.PROTOCOL_ERROR));
    assertThat(service.stats().protocolErrors()).isEqualTo(1);
    assertThat(service.stats().streamsEnded(ExchangeOutcome.PROTOCOL_ERROR)).isEqualTo(1);
    assertThat(service.stats().streamsFailed()).isEqualTo(1);
    assertThat(service.stats().streamsCompleted()).isZero();
  }

  @Test
  void unknownBodyModeInProtocolConfig_invalidArgumentNamingFieldAndValue_protocolError() throws Exception {
    ProcessingRequest first = firstHeaders(true).toBuilder()
        .setProtocolConfig(ProtocolConfiguration.newBuilder().setRequestBodyModeValue(99)).build();

    Status status = call().send(first).awaitStatus();

    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).contains("protocol_config.request_body_mode: 99").contains("rule");
    awaitIdle();
    assertThat(service.stats().protocolErrors()).isEqualTo(1);
    assertThat(handlers).hasValue(0); // refused before any processor was made
  }

  @Test
  void outcome_completed_andCancelAfterLastReply_countedAsCompleted() throws Exception {
    RawCall graceful = call().send(firstHeaders(true));
    graceful.next();
    graceful.send(responseHeaders(true, ":status", "200"));
    graceful.next();
    graceful.requests.onCompleted();
    assertThat(graceful.awaitStatus().getCode()).isEqualTo(Status.Code.OK);

    RawCall reset = call().send(firstHeaders(true));
    reset.next();
    reset.send(responseHeaders(true, ":status", "200"));
    reset.next();
    reset.requests.onError(new RuntimeException("envoy resets after the last reply"));

    awaitIdle();
    await().untilAsserted(() -> assertThat(closes).containsExactly(ExchangeOutcome.COMPLETED, ExchangeOutcome.COMPLETED));
    assertThat(service.stats().streamsEnded(ExchangeOutcome.COMPLETED)).isEqualTo(2);
    assertThat(service.stats().cancelledAfterLastReply()).isEqualTo(1);
  }

  @Test
  void outcome_cancelled_beforeAnyReply_andBeforeTheResponseCame() throws Exception {
    behaviour = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        return ctx.direction() == Direction.REQUEST && !endOfStream ? new CompletableFuture<>() : Processing.done();
      }
    };
    RawCall hanging = call().send(firstHeaders(false));
    await().until(() -> observed.contains("in:request:headers"));
    hanging.requests.onError(new RuntimeException("client aborted"));

    RawCall answeredRequest = call().send(firstHeaders(true));
    answeredRequest.next();
    answeredRequest.requests.onError(new RuntimeException("client aborted before the response"));

    awaitIdle();
    await().untilAsserted(() -> assertThat(closes).containsExactly(ExchangeOutcome.CANCELLED, ExchangeOutcome.CANCELLED));
    assertThat(service.stats().streamsCancelled()).isEqualTo(2);
    assertThat(service.stats().streamsCompleted()).isZero();
  }

  @Test
  void outcome_immediateResponse_processorError_deadline() throws Exception {
    behaviour = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        String path = headers.get(":path");
        if (path.equals("/deny")) {
          ctx.respond(ImmediateResponse.of(403));
          return Processing.done();
        }
        if (path.equals("/boom")) {
          throw new IllegalStateException("boom");
        }
        return new CompletableFuture<>(); // never done: the deadline ends it
      }
    };
    call().send(requestHeaders(null, true, ":path", "/deny")).awaitStatus();
    assertThat(call().send(requestHeaders(null, true, ":path", "/boom")).awaitStatus().getCode())
        .isEqualTo(Status.Code.INTERNAL);
    RawCall slow = new RawCall(CallOptions.DEFAULT.withDeadlineAfter(300, TimeUnit.MILLISECONDS));
    slow.send(requestHeaders(null, true, ":path", "/slow"));
    assertThat(slow.awaitStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);

    awaitIdle();
    await().untilAsserted(() -> assertThat(closes).containsExactlyInAnyOrder(ExchangeOutcome.IMMEDIATE_RESPONSE,
        ExchangeOutcome.PROCESSOR_ERROR, ExchangeOutcome.DEADLINE_EXCEEDED));
    assertThat(service.stats().streamsEnded(ExchangeOutcome.IMMEDIATE_RESPONSE)).isEqualTo(1);
    assertThat(service.stats().streamsEnded(ExchangeOutcome.PROCESSOR_ERROR)).isEqualTo(1);
    assertThat(service.stats().streamsEnded(ExchangeOutcome.DEADLINE_EXCEEDED)).isEqualTo(1);
    assertThat(service.stats().streamsCompleted()).isEqualTo(1);
    assertThat(service.stats().streamsFailed()).isEqualTo(2);
    assertThat(summaries).filteredOn(s -> s.outcome() == ExchangeOutcome.PROCESSOR_ERROR)
        .singleElement().satisfies(s -> assertThat(s.failure()).contains("onHeaders").contains("boom"));
  }

  @Test
  void observerSeesEveryPoint_andLogsCarryTheExchangeId() throws Exception {
    CompletableFuture<String> mdc = new CompletableFuture<>();
    CompletableFuture<String> id = new CompletableFuture<>();
    behaviour = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        mdc.complete(MDC.get("exchange_id"));
        id.complete(ctx.exchange().id());
        return Processing.done();
      }
    };
    RawCall call = call().send(firstHeaders(false)).send(requestBody(ByteString.copyFromUtf8("abc"), true));
    call.next();
    call.next();
    call.send(responseHeaders(true, ":status", "200"));
    call.next();
    call.requests.onCompleted();
    call.awaitStatus();

    awaitIdle();
    await().until(() -> observed.contains("end"));
    assertThat(mdc.get()).isEqualTo(id.get());
    assertThat(observed).first().isEqualTo("start");
    assertThat(observed).last().isEqualTo("end");
    assertThat(observed).containsSubsequence("in:request:headers", "event:request:headers", "out:request:headers",
        "in:request:body", "event:request:body", "event:request:body:end", "out:request:body",
        "in:response:headers", "out:response:headers");
    ExchangeSummary summary = summaries.get(0);
    assertThat(summary.id()).isEqualTo(id.get());
    assertThat(summary.outcome()).isEqualTo(ExchangeOutcome.COMPLETED);
    assertThat(summary.messagesIn()).isEqualTo(3);
    assertThat(summary.messagesOut()).isEqualTo(3);
    assertThat(summary.requestBytesIn()).isEqualTo(3);
    assertThat(summary.failure()).isNull();
  }

  @Test
  void writeAfterTheDirectionEnded_isRefusedNamingTheRuleAndTheStream() throws Exception {
    CompletableFuture<MessageContext> kept = new CompletableFuture<>();
    behaviour = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onEnd(MessageContext ctx) {
        kept.complete(ctx);
        return Processing.done();
      }
    };
    RawCall call = call().send(firstHeaders(false)).send(requestBody(ByteString.copyFromUtf8("abc"), true));
    call.next();
    call.next();
    MessageContext ctx = kept.get(10, TimeUnit.SECONDS);

    assertThatThrownBy(() -> ctx.write(ByteString.copyFromUtf8("late")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("rule: nothing may be written after a direction's end")
        .hasMessageContaining(ctx.exchange().id());
    call.requests.onCompleted();
    call.awaitStatus();
    awaitIdle();
  }
}
