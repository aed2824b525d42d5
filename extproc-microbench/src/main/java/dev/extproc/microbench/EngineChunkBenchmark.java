package dev.extproc.microbench;

import com.google.protobuf.ByteString;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.PassthroughProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-chunk cost of the engine with a pass-through processor, through grpc's in-process
 * transport (which hands message objects over without serializing them, so this measures the
 * engine plus gRPC's call machinery, not protobuf encoding or the network).
 *
 * <p>One operation = one body chunk sent on a long-lived stream and its reply received: in
 * STREAMED the one "no mutation" BodyResponse, in FULL_DUPLEX_STREAMED the streamed_response
 * chunk(s) carrying the same bytes back. {@code rawEcho} is the same round trip against a
 * trivial bidi service that echoes each message without the engine: the difference is the
 * engine's overhead.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
@State(Scope.Thread)
public class EngineChunkBenchmark {

  @Param({"STREAMED", "FULL_DUPLEX_STREAMED"})
  public String mode;

  @Param({"16384", "65536"})
  public int chunkBytes;

  private ScheduledExecutorService scheduler;
  private Server server;
  private ManagedChannel channel;
  private StreamObserver<ProcessingRequest> requests;
  private final LinkedBlockingQueue<ProcessingResponse> replies = new LinkedBlockingQueue<>();
  private ProcessingRequest chunkMessage;
  private ProcessingRequest rawMessage;
  private boolean duplex;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    scheduler = Executors.newSingleThreadScheduledExecutor();
    ExtProcService service = ExtProcService.builder(PassthroughProcessor.factory())
        .config(ExtProcConfig.defaults()).scheduler(scheduler).build();
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name)
        .addService(service)
        .addService(rawEchoService())
        .build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    duplex = mode.equals("FULL_DUPLEX_STREAMED");
    byte[] bytes = new byte[chunkBytes];
    new Random(1).nextBytes(bytes);
    chunkMessage = ProcessingRequest.newBuilder()
        .setRequestBody(HttpBody.newBuilder().setBody(ByteString.copyFrom(bytes))).build();
    rawMessage = chunkMessage;
    requests = ExternalProcessorGrpc.newStub(channel).process(collector());
    BodySendMode bodyMode = BodySendMode.valueOf(mode);
    requests.onNext(ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.getDefaultInstance())
        .setProtocolConfig(ProtocolConfiguration.newBuilder().setRequestBodyMode(bodyMode).setResponseBodyMode(bodyMode))
        .build());
    take(); // the header reply
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    requests.onError(new RuntimeException("benchmark over"));
    channel.shutdownNow();
    server.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
    server.awaitTermination(5, TimeUnit.SECONDS);
    scheduler.shutdownNow();
  }

  /** One chunk through the engine and back. */
  @Benchmark
  public int passThroughChunk() throws InterruptedException {
    requests.onNext(chunkMessage);
    if (!duplex) {
      return take().getSerializedSize();
    }
    int received = 0;
    while (received < chunkBytes) {
      received += take().getRequestBody().getResponse().getBodyMutation().getStreamedResponse().getBody().size();
    }
    return received;
  }

  /** The same round trip through gRPC alone: a bidi service that answers each message at once. */
  @Benchmark
  public int rawEcho(RawStream raw) throws InterruptedException {
    raw.requests.onNext(rawMessage);
    return raw.replies.take().getSerializedSize();
  }

  /** A stream to the raw echo service, per benchmark thread. */
  @State(Scope.Thread)
  public static class RawStream {
    final LinkedBlockingQueue<ProcessingResponse> replies = new LinkedBlockingQueue<>();
    StreamObserver<ProcessingRequest> requests;

    @Setup(Level.Trial)
    public void open(EngineChunkBenchmark benchmark) {
      requests = io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
          benchmark.channel.newCall(RAW_METHOD, io.grpc.CallOptions.DEFAULT), new StreamObserver<>() {
            @Override public void onNext(ProcessingResponse value) { replies.add(value); }
            @Override public void onError(Throwable t) { }
            @Override public void onCompleted() { }
          });
    }
  }

  private static final io.grpc.MethodDescriptor<ProcessingRequest, ProcessingResponse> RAW_METHOD =
      ExternalProcessorGrpc.getProcessMethod().toBuilder()
          .setFullMethodName("bench.RawEcho/Process")
          .build();

  private static ServerServiceDefinition rawEchoService() {
    return ServerServiceDefinition.builder("bench.RawEcho")
        .addMethod(RAW_METHOD, ServerCalls.asyncBidiStreamingCall(responses -> new StreamObserver<ProcessingRequest>() {
          @Override
          public void onNext(ProcessingRequest request) {
            responses.onNext(ProcessingResponse.newBuilder()
                .setRequestBody(BodyResponse.newBuilder().setResponse(CommonResponse.newBuilder()
                    .setBodyMutation(BodyMutation.newBuilder().setStreamedResponse(
                        StreamedBodyResponse.newBuilder().setBody(request.getRequestBody().getBody())))))
                .build());
          }

          @Override public void onError(Throwable t) { }
          @Override public void onCompleted() { responses.onCompleted(); }
        }))
        .build();
  }

  private StreamObserver<ProcessingResponse> collector() {
    return new StreamObserver<>() {
      @Override public void onNext(ProcessingResponse value) { replies.add(value); }
      @Override public void onError(Throwable t) { }
      @Override public void onCompleted() { }
    };
  }

  private ProcessingResponse take() throws InterruptedException {
    ProcessingResponse reply = replies.poll(10, TimeUnit.SECONDS);
    if (reply == null) {
      throw new IllegalStateException("no reply within 10 s (mode " + mode + ", chunk " + chunkBytes + ")");
    }
    return reply;
  }
}
