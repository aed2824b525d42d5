package dev.extproc.testkit;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.jspecify.annotations.Nullable;

/**
 * Builds the {@link ProcessingRequest}s Envoy sends, for {@link EmbeddedStream} tests. Headers
 * and trailers are given as name, value pairs: {@code requestHeaders(null, true, ":path", "/")}.
 */
public final class EnvoyMessages {
  private EnvoyMessages() {}

  /** Returns the {@code protocol_config} Envoy sends with the first message, for these body modes. */
  public static ProtocolConfiguration modes(BodySendMode request, BodySendMode response) {
    return ProtocolConfiguration.newBuilder().setRequestBodyMode(request).setResponseBodyMode(response).build();
  }

  /** Returns request headers; {@code config} (Envoy's first message carries it) may be null. */
  public static ProcessingRequest requestHeaders(@Nullable ProtocolConfiguration config, boolean endOfStream, String... headers) {
    ProcessingRequest.Builder request = ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder().setHeaders(headerMap(headers)).setEndOfStream(endOfStream));
    if (config != null) {
      request.setProtocolConfig(config);
    }
    return request.build();
  }

  /** Returns response headers. */
  public static ProcessingRequest responseHeaders(boolean endOfStream, String... headers) {
    return ProcessingRequest.newBuilder()
        .setResponseHeaders(HttpHeaders.newBuilder().setHeaders(headerMap(headers)).setEndOfStream(endOfStream))
        .build();
  }

  /** Returns a request body chunk. */
  public static ProcessingRequest requestBody(ByteString body, boolean endOfStream) {
    return ProcessingRequest.newBuilder()
        .setRequestBody(HttpBody.newBuilder().setBody(body).setEndOfStream(endOfStream)).build();
  }

  /** Returns a request body chunk of UTF-8 text. */
  public static ProcessingRequest requestBody(String body, boolean endOfStream) {
    return requestBody(ByteString.copyFromUtf8(body), endOfStream);
  }

  /** Returns a response body chunk. */
  public static ProcessingRequest responseBody(ByteString body, boolean endOfStream) {
    return ProcessingRequest.newBuilder()
        .setResponseBody(HttpBody.newBuilder().setBody(body).setEndOfStream(endOfStream)).build();
  }

  /** Returns a response body chunk of UTF-8 text. */
  public static ProcessingRequest responseBody(String body, boolean endOfStream) {
    return responseBody(ByteString.copyFromUtf8(body), endOfStream);
  }

  /** Returns request trailers. */
  public static ProcessingRequest requestTrailers(String... trailers) {
    return ProcessingRequest.newBuilder()
        .setRequestTrailers(HttpTrailers.newBuilder().setTrailers(headerMap(trailers))).build();
  }

  /** Returns response trailers. */
  public static ProcessingRequest responseTrailers(String... trailers) {
    return ProcessingRequest.newBuilder()
        .setResponseTrailers(HttpTrailers.newBuilder().setTrailers(headerMap(trailers))).build();
  }

  /** Returns a header map of name, value pairs (values as {@code raw_value}, as Envoy sends them). */
  public static HeaderMap headerMap(String... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("names and values come in pairs; got " + namesAndValues.length + " strings");
    }
    HeaderMap.Builder map = HeaderMap.newBuilder();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      map.addHeaders(HeaderValue.newBuilder().setKey(namesAndValues[i])
          .setRawValue(ByteString.copyFrom(namesAndValues[i + 1], StandardCharsets.UTF_8)));
    }
    return map.build();
  }

  /** Returns {@code size} pseudo-random bytes, the same for the same {@code seed}. */
  public static ByteString bytes(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return ByteString.copyFrom(data);
  }
}
