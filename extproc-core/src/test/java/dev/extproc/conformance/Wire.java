package dev.extproc.conformance;

import com.google.protobuf.ByteString;
import dev.extproc.Direction;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;

/** Raw ProcessingRequest messages for the bad-input tests. */
final class Wire {
  private Wire() {}

  static ProtocolConfiguration modes(BodySendMode request, BodySendMode response) {
    return ProtocolConfiguration.newBuilder().setRequestBodyMode(request).setResponseBodyMode(response).build();
  }

  static ProcessingRequest headers(Direction direction, boolean endOfStream) {
    HttpHeaders headers = HttpHeaders.newBuilder().setEndOfStream(endOfStream).setHeaders(HeaderMap.newBuilder()
        .addHeaders(HeaderValue.newBuilder().setKey(direction == Direction.REQUEST ? ":method" : ":status")
            .setRawValue(ByteString.copyFromUtf8(direction == Direction.REQUEST ? "POST" : "200")))).build();
    ProcessingRequest.Builder message = ProcessingRequest.newBuilder();
    return (direction == Direction.REQUEST ? message.setRequestHeaders(headers) : message.setResponseHeaders(headers)).build();
  }

  static ProcessingRequest first(ProcessingRequest message, BodySendMode both) {
    return message.toBuilder().setProtocolConfig(modes(both, both)).build();
  }

  static ProcessingRequest body(Direction direction, ByteString data, boolean endOfStream) {
    HttpBody body = HttpBody.newBuilder().setBody(data).setEndOfStream(endOfStream).build();
    ProcessingRequest.Builder message = ProcessingRequest.newBuilder();
    return (direction == Direction.REQUEST ? message.setRequestBody(body) : message.setResponseBody(body)).build();
  }

  static ProcessingRequest body(Direction direction, String data, boolean endOfStream) {
    return body(direction, ByteString.copyFromUtf8(data), endOfStream);
  }

  static ProcessingRequest trailers(Direction direction) {
    HttpTrailers trailers = HttpTrailers.newBuilder().setTrailers(HeaderMap.newBuilder()
        .addHeaders(HeaderValue.newBuilder().setKey("x-t").setRawValue(ByteString.copyFromUtf8("1")))).build();
    ProcessingRequest.Builder message = ProcessingRequest.newBuilder();
    return (direction == Direction.REQUEST ? message.setRequestTrailers(trailers) : message.setResponseTrailers(trailers)).build();
  }
}
