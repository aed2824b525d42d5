package dev.extproc.testing;

import com.google.protobuf.BoolValue;
import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A tiny ext_proc server for FakeEnvoy's own tests: it answers every message correctly for the
 * body modes announced in protocol_config (optionally transforming body bytes), and a {@link
 * Script} can replace any answer to play a broken server.
 */
final class ScriptedServer extends ExternalProcessorGrpc.ExternalProcessorImplBase {

  /** Decides the replies to one message; {@code correct} holds what a correct server would send. */
  interface Script {
    List<ProcessingResponse> replies(ProcessingRequest request, List<ProcessingResponse> correct, Stream stream);
  }

  /** Per-stream state visible to scripts. */
  static final class Stream {
    BodySendMode requestMode = BodySendMode.NONE;
    BodySendMode responseMode = BodySendMode.NONE;
    int received;
    StreamObserver<ProcessingResponse> out;
  }

  private final Script script;
  private final UnaryOperator<ByteString> transform;

  ScriptedServer(UnaryOperator<ByteString> transform, Script script) {
    this.transform = transform;
    this.script = script;
  }

  static ScriptedServer correct() {
    return new ScriptedServer(null, (request, correct, stream) -> correct);
  }

  static ScriptedServer transforming(UnaryOperator<ByteString> transform) {
    return new ScriptedServer(transform, (request, correct, stream) -> correct);
  }

  static ScriptedServer scripted(Script script) {
    return new ScriptedServer(null, script);
  }

  static ByteString upperCase(ByteString bytes) {
    return ByteString.copyFromUtf8(bytes.toStringUtf8().toUpperCase(java.util.Locale.ROOT));
  }

  @Override
  public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> out) {
    Stream stream = new Stream();
    stream.out = out;
    return new StreamObserver<>() {
      @Override
      public void onNext(ProcessingRequest request) {
        stream.received++;
        if (request.hasProtocolConfig()) {
          stream.requestMode = request.getProtocolConfig().getRequestBodyMode();
          stream.responseMode = request.getProtocolConfig().getResponseBodyMode();
        }
        for (ProcessingResponse reply : script.replies(request, correctReplies(request, stream), stream)) {
          out.onNext(reply);
        }
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        out.onCompleted();
      }
    };
  }

  private List<ProcessingResponse> correctReplies(ProcessingRequest request, Stream stream) {
    ProcessingResponse.Builder reply = ProcessingResponse.newBuilder();
    switch (request.getRequestCase()) {
      case REQUEST_HEADERS -> reply.setRequestHeaders(HeadersResponse.newBuilder().setResponse(
          CommonResponse.newBuilder().setHeaderMutation(setHeader("x-scripted", "request"))));
      case RESPONSE_HEADERS -> reply.setResponseHeaders(HeadersResponse.newBuilder().setResponse(
          CommonResponse.newBuilder().setHeaderMutation(setHeader("x-scripted", "response"))));
      case REQUEST_BODY -> reply.setRequestBody(body(request.getRequestBody().getBody(),
          request.getRequestBody().getEndOfStream(), stream.requestMode));
      case RESPONSE_BODY -> reply.setResponseBody(body(request.getResponseBody().getBody(),
          request.getResponseBody().getEndOfStream(), stream.responseMode));
      case REQUEST_TRAILERS -> reply.setRequestTrailers(TrailersResponse.newBuilder()
          .setHeaderMutation(setHeader("x-trailer-seen", "request")));
      case RESPONSE_TRAILERS -> reply.setResponseTrailers(TrailersResponse.newBuilder()
          .setHeaderMutation(setHeader("x-trailer-seen", "response")));
      default -> throw new IllegalArgumentException("empty request");
    }
    return List.of(reply.build());
  }

  private BodyResponse.Builder body(ByteString chunk, boolean endOfStream, BodySendMode mode) {
    CommonResponse.Builder common = CommonResponse.newBuilder();
    ByteString out = transform == null ? chunk : transform.apply(chunk);
    if (mode == BodySendMode.FULL_DUPLEX_STREAMED) {
      common.setBodyMutation(BodyMutation.newBuilder().setStreamedResponse(
          StreamedBodyResponse.newBuilder().setBody(out).setEndOfStream(endOfStream)));
    } else if (transform != null) {
      common.setBodyMutation(BodyMutation.newBuilder().setBody(out));
    }
    return BodyResponse.newBuilder().setResponse(common);
  }

  static HeaderMutation setHeader(String name, String value) {
    return HeaderMutation.newBuilder().addSetHeaders(HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(name).setRawValue(ByteString.copyFromUtf8(value)))
        .setAppend(BoolValue.of(false))).build();
  }
}
