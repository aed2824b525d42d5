package dev.extproc.internal;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;

/**
 * Message builders for the engine's own tests in extproc-core. What drove streams here (an
 * in-process client) is now the public harness in extproc-testkit ({@code EmbeddedStream},
 * {@code ExtProcExtension}); extproc-core's tests cannot depend on it (it depends on
 * extproc-core), so stream-level engine tests live in extproc-testkit's test sources. The same
 * builders are public there as {@code dev.extproc.testkit.EnvoyMessages}.
 */
final class TestEnvoy {
  private TestEnvoy() {}

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
