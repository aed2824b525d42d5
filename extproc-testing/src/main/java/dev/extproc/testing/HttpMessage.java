package dev.extproc.testing;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * An HTTP request or response as one party saw it after Envoy's ext_proc filter.
 *
 * @param headers the headers after every mutation (pseudo-headers included)
 * @param body the body after every mutation
 * @param trailers the trailers after mutation, or {@code null} when the message had none
 * @param complete false when the message was cut short (a reset, a local reply sent mid-way)
 */
public record HttpMessage(Headers headers, CapturedBody body, Headers trailers, boolean complete) {
  public HttpMessage {
    requireNonNull(headers, "headers");
    requireNonNull(body, "body");
  }

  /** Returns the trailers, if the message had any. */
  public Optional<Headers> trailersIfAny() {
    return Optional.ofNullable(trailers);
  }

  /** Returns the {@code :status} pseudo-header as a number, or -1 when absent. */
  public int status() {
    String status = headers.get(":status");
    return status == null ? -1 : Integer.parseInt(status);
  }
}
