package dev.extproc.client;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the client saw of one exchange.
 *
 * @param outcome how the exchange ended
 * @param status the final response status, or 0 if no final response headers arrived
 * @param headers response headers (lower-case names, values in arrival order per name)
 * @param trailers response trailers (lower-case names); empty if none
 * @param body length and SHA-256 of the response body bytes received
 * @param bodyHead the first bytes of the response body (up to {@link #HEAD_BYTES}), for messages
 * @param bytesSent request body bytes written to the connection
 * @param detail a reset's error code, the cause of a failure, or empty
 * @param elapsed from starting the exchange to its end
 * @param timeToHeaders from starting the exchange to the final response headers, or null if none
 */
public record Response(
    Outcome outcome,
    int status,
    Map<String, List<String>> headers,
    Map<String, List<String>> trailers,
    BodyDigest.Result body,
    byte[] bodyHead,
    long bytesSent,
    String detail,
    Duration elapsed,
    Duration timeToHeaders) {

  /** How many leading response body bytes are kept in {@link #bodyHead}. */
  public static final int HEAD_BYTES = 1024;

  /** How an exchange ended. */
  public enum Outcome {
    /** The whole response arrived (end of stream). */
    COMPLETE,
    /** The server reset the HTTP/2 stream (RST_STREAM); {@link #detail} holds the error code. */
    RESET,
    /** The connection closed (or failed, or could not be opened) before the response ended. */
    CONNECTION_CLOSED,
    /** The client ended the exchange mid-upload, as the request (or its gate) asked. */
    CLIENT_ABORTED
  }

  public Response {
    requireNonNull(outcome, "outcome");
    headers = Map.copyOf(headers);
    trailers = Map.copyOf(trailers);
    requireNonNull(body, "body");
    requireNonNull(bodyHead, "bodyHead");
    requireNonNull(detail, "detail");
    requireNonNull(elapsed, "elapsed");
  }

  /** Returns whether the whole response arrived with status {@code 200}. */
  public boolean isCompleteOk() {
    return isCompleteWith(200);
  }

  /** Returns whether the whole response arrived (its framing ended) with status {@code expected}. */
  public boolean isCompleteWith(int expected) {
    return outcome == Outcome.COMPLETE && status == expected;
  }

  /**
   * Returns whether the response was cut short: final response headers arrived, then the server's
   * side ended the exchange (closed the connection, reset the stream) before the body's framing
   * (content-length, last chunk, end of stream) did. A cut 200 is a failed transfer, never a
   * success. Without final headers ({@link #status} 0) the exchange had no response rather than a
   * cut one; a {@link Outcome#CLIENT_ABORTED} exchange is neither.
   */
  public boolean isCut() {
    return status != 0 && (outcome == Outcome.CONNECTION_CLOSED || outcome == Outcome.RESET);
  }

  /** Returns the first value of response header {@code name} (lower case). */
  public Optional<String> header(String name) {
    List<String> values = headers.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /** Returns the first value of response trailer {@code name} (lower case). */
  public Optional<String> trailer(String name) {
    List<String> values = trailers.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /** Returns the first bytes of the body as UTF-8 text (for error messages). */
  public String bodyHeadText() {
    return new String(bodyHead, java.nio.charset.StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return outcome + " status " + status + ", body " + body + ", sent " + bytesSent + " B"
        + (detail.isEmpty() ? "" : ", " + detail) + ", headers " + headers
        + (trailers.isEmpty() ? "" : ", trailers " + trailers) + ", in " + elapsed.toMillis() + " ms";
  }
}
