package dev.extproc.internal;

import com.google.protobuf.ByteString;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.ProcessorFactory;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A minimal in-process client for the engine's own tests: raw messages in, raw replies out, no
 * Envoy validation (the conformance suite uses FakeEnvoy for that).
 */
final class TestEnvoy implements AutoCloseable {
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  final ExtProcService service;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final Server server;
  private final ManagedChannel channel;

  TestEnvoy(ProcessorFactory factory, ExtProcConfig config) throws IOException {
    service = ExtProcService.builder(factory).config(config).scheduler(scheduler).build();
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name)
        .maxInboundMessageSize(config.maxInboundMessageBytes())
        .addService(service)
        .build()
        .start();
    channel = InProcessChannelBuilder.forName(name).maxInboundMessageSize(Integer.MAX_VALUE).build();
  }

  Stream open() {
    return open(false);
  }

  /** Opens a stream; with {@code manualFlowControl} replies arrive only as {@link Stream#request} allows. */
  Stream open(boolean manualFlowControl) {
    Stream stream = new Stream(manualFlowControl);
    ExternalProcessorGrpc.newStub(channel).process(stream);
    return stream;
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow();
    server.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
    server.awaitTermination(5, TimeUnit.SECONDS);
    scheduler.shutdownNow();
  }

  /** One gRPC stream: send requests, poll replies, await the status. */
  static final class Stream implements ClientResponseObserver<ProcessingRequest, ProcessingResponse> {
    final LinkedBlockingQueue<ProcessingResponse> replies = new LinkedBlockingQueue<>();
    final CompletableFuture<Status> status = new CompletableFuture<>();
    private final boolean manualFlowControl;
    private ClientCallStreamObserver<ProcessingRequest> requests;

    Stream(boolean manualFlowControl) {
      this.manualFlowControl = manualFlowControl;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<ProcessingRequest> requestStream) {
      this.requests = requestStream;
      if (manualFlowControl) {
        requestStream.disableAutoRequestWithInitial(0);
      }
    }

    void request(int count) {
      requests.request(count);
    }

    boolean isReady() {
      return requests.isReady();
    }

    @Override
    public void onNext(ProcessingResponse value) {
      replies.add(value);
    }

    @Override
    public void onError(Throwable t) {
      status.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      status.complete(Status.OK);
    }

    Stream send(ProcessingRequest request) {
      requests.onNext(request);
      return this;
    }

    void halfClose() {
      requests.onCompleted();
    }

    void cancel() {
      requests.cancel("test cancels", null);
    }

    ProcessingResponse next() throws InterruptedException {
      ProcessingResponse reply = replies.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if (reply == null) {
        throw new AssertionError("no reply within " + TIMEOUT + "; status: " + status.getNow(null));
      }
      return reply;
    }

    Status awaitStatus() throws Exception {
      return status.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  static ProtocolConfiguration modes(BodySendMode request, BodySendMode response) {
    return ProtocolConfiguration.newBuilder().setRequestBodyMode(request).setResponseBodyMode(response).build();
  }

  static HeaderMap headerMap(String... namesAndValues) {
    HeaderMap.Builder map = HeaderMap.newBuilder();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      map.addHeaders(HeaderValue.newBuilder().setKey(namesAndValues[i])
          .setRawValue(ByteString.copyFromUtf8(namesAndValues[i + 1])));
    }
    return map.build();
  }

  static ProcessingRequest requestHeaders(ProtocolConfiguration config, boolean endOfStream, String... headers) {
    ProcessingRequest.Builder request = ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder().setHeaders(headerMap(headers)).setEndOfStream(endOfStream));
    if (config != null) {
      request.setProtocolConfig(config);
    }
    return request.build();
  }

  static ProcessingRequest responseHeaders(boolean endOfStream, String... headers) {
    return ProcessingRequest.newBuilder()
        .setResponseHeaders(HttpHeaders.newBuilder().setHeaders(headerMap(headers)).setEndOfStream(endOfStream))
        .build();
  }

  static ProcessingRequest requestBody(ByteString body, boolean endOfStream) {
    return ProcessingRequest.newBuilder()
        .setRequestBody(HttpBody.newBuilder().setBody(body).setEndOfStream(endOfStream)).build();
  }

  static ProcessingRequest responseBody(ByteString body, boolean endOfStream) {
    return ProcessingRequest.newBuilder()
        .setResponseBody(HttpBody.newBuilder().setBody(body).setEndOfStream(endOfStream)).build();
  }

  static ProcessingRequest requestTrailers(String... trailers) {
    return ProcessingRequest.newBuilder()
        .setRequestTrailers(HttpTrailers.newBuilder().setTrailers(headerMap(trailers))).build();
  }

  static ByteString bytes(int size, int seed) {
    byte[] data = new byte[size];
    new java.util.Random(seed).nextBytes(data);
    return ByteString.copyFrom(data);
  }
}
