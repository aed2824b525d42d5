package dev.extproc.internal;

import com.google.protobuf.ByteString;
import dev.extproc.Direction;
import dev.extproc.MessagePart;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import org.jspecify.annotations.Nullable;

/** Reads a {@link ProcessingRequest} without caring which of its six request fields is set. Pure functions. */
final class Messages {
  private Messages() {}

  /** Returns the message's direction (REQUEST when no request is set). */
  static Direction direction(ProcessingRequest message) {
    switch (message.getRequestCase()) {
      case RESPONSE_HEADERS:
      case RESPONSE_BODY:
      case RESPONSE_TRAILERS:
        return Direction.RESPONSE;
      default:
        return Direction.REQUEST;
    }
  }

  /** Returns HEADERS, BODY or TRAILERS, or null when no request is set. */
  static @Nullable MessagePart part(ProcessingRequest message) {
    switch (message.getRequestCase()) {
      case REQUEST_HEADERS:
      case RESPONSE_HEADERS:
        return MessagePart.HEADERS;
      case REQUEST_BODY:
      case RESPONSE_BODY:
        return MessagePart.BODY;
      case REQUEST_TRAILERS:
      case RESPONSE_TRAILERS:
        return MessagePart.TRAILERS;
      default:
        return null;
    }
  }

  static ByteString body(ProcessingRequest message) {
    switch (message.getRequestCase()) {
      case REQUEST_BODY:
        return message.getRequestBody().getBody();
      case RESPONSE_BODY:
        return message.getResponseBody().getBody();
      default:
        return ByteString.EMPTY;
    }
  }

  static boolean endOfStream(ProcessingRequest message) {
    switch (message.getRequestCase()) {
      case REQUEST_HEADERS:
        return message.getRequestHeaders().getEndOfStream();
      case RESPONSE_HEADERS:
        return message.getResponseHeaders().getEndOfStream();
      case REQUEST_BODY:
        return message.getRequestBody().getEndOfStream();
      case RESPONSE_BODY:
        return message.getResponseBody().getEndOfStream();
      default:
        return false;
    }
  }

  static HeaderMap headers(ProcessingRequest message) {
    return message.hasRequestHeaders() ? message.getRequestHeaders().getHeaders() : message.getResponseHeaders().getHeaders();
  }

  static HeaderMap trailers(ProcessingRequest message) {
    return message.hasRequestTrailers() ? message.getRequestTrailers().getTrailers() : message.getResponseTrailers().getTrailers();
  }
}
