package dev.extproc;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;

/**
 * A local reply Envoy sends to the client instead of continuing the exchange.
 *
 * @param status the HTTP status; Envoy replaces codes below 200 with 200
 * @param headers headers to add to the local reply
 * @param body the response body
 * @param details a short reason for Envoy's {@code %RESPONSE_CODE_DETAILS%}; may be empty
 */
public record ImmediateResponse(int status, HttpHeaders headers, ByteString body, String details) {

  public ImmediateResponse {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status: " + status + " (expected: 100..599)");
    }
    requireNonNull(headers, "headers");
    requireNonNull(body, "body");
    requireNonNull(details, "details");
  }

  /** Returns a reply with {@code status} and no headers, body or details. */
  public static ImmediateResponse of(int status) {
    return new ImmediateResponse(status, HttpHeaders.empty(), ByteString.EMPTY, "");
  }

  /** Returns a reply with {@code status} and a UTF-8 text body. */
  public static ImmediateResponse of(int status, String body) {
    return new ImmediateResponse(status, HttpHeaders.empty(), ByteString.copyFromUtf8(body), "");
  }

  /** Returns a copy with {@code headers}. */
  public ImmediateResponse withHeaders(HttpHeaders headers) {
    return new ImmediateResponse(status, headers, body, details);
  }

  /** Returns a copy with {@code details}. */
  public ImmediateResponse withDetails(String details) {
    return new ImmediateResponse(status, headers, body, details);
  }
}
