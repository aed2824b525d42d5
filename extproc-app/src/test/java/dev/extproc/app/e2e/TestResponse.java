package dev.extproc.app.e2e;

import static java.util.Objects.requireNonNull;

import dev.extproc.client.BodyDigest;
import dev.extproc.client.Response;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a test client saw of one exchange.
 *
 * @param outcome how the exchange ended
 * @param status the response status, or 0 if no response headers arrived
 * @param headers response headers (lower-case names, in arrival order per name)
 * @param trailers response trailers (lower-case names); empty if none
 * @param body length and SHA-256 of the response body bytes received
 * @param bytesSent request body bytes written to the connection
 * @param detail a reset's error code, the cause of a failure, or empty
 * @param elapsed from connecting to the end of the exchange
 */
record TestResponse(
    Outcome outcome,
    int status,
    Map<String, List<String>> headers,
    Map<String, List<String>> trailers,
    BodyDigest.Result body,
    long bytesSent,
    String detail,
    Duration elapsed) {

  /** How an exchange ended. */
  enum Outcome {
    /** The whole response arrived (end of stream). */
    COMPLETE,
    /** The server reset the HTTP/2 stream (RST_STREAM); {@link #detail} holds the error code. */
    RESET,
    /** The connection closed (or failed) before the response ended. */
    CONNECTION_CLOSED,
    /** The client closed the connection mid-upload, as the request asked. */
    CLIENT_ABORTED
  }

  TestResponse {
    requireNonNull(outcome, "outcome");
    headers = Map.copyOf(headers);
    trailers = Map.copyOf(trailers);
    requireNonNull(body, "body");
    requireNonNull(detail, "detail");
    requireNonNull(elapsed, "elapsed");
  }

  /** Returns what the HTTP client saw, in the e2e tests' terms. */
  static TestResponse of(Response response) {
    return new TestResponse(Outcome.valueOf(response.outcome().name()), response.status(), response.headers(),
        response.trailers(), response.body(), response.bytesSent(), response.detail(), response.elapsed());
  }

  /** Returns the first value of response header {@code name} (lower case). */
  Optional<String> header(String name) {
    List<String> values = headers.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /** Returns the first value of response trailer {@code name} (lower case). */
  Optional<String> trailer(String name) {
    List<String> values = trailers.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  @Override
  public String toString() {
    return outcome + " status " + status + ", body " + body + ", sent " + bytesSent + " B"
        + (detail.isEmpty() ? "" : ", " + detail) + ", headers " + headers
        + (trailers.isEmpty() ? "" : ", trailers " + trailers) + ", in " + elapsed.toMillis() + " ms";
  }
}
