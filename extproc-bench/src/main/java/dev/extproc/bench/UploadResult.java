package dev.extproc.bench;

import java.util.Optional;

/**
 * The outcome of one upload.
 *
 * @param index which of the concurrent uploads (0-based)
 * @param status the HTTP status, or 0 when no response head arrived
 * @param durationNanos from connecting to the end of the response (or the failure)
 * @param firstByteNanos from connecting to the response head, or -1 when none arrived
 * @param bytesSent request body bytes handed to the socket
 * @param bytesReceived response body bytes received
 * @param verified whether the status was 200 and the response body matched the expected length and SHA-256
 * @param error why it is not verified, or null when it is
 */
public record UploadResult(
    int index,
    int status,
    long durationNanos,
    long firstByteNanos,
    long bytesSent,
    long bytesReceived,
    boolean verified,
    String error) {

  /** Returns why the upload failed, or empty when it was verified. */
  public Optional<String> failure() {
    return Optional.ofNullable(error);
  }
}
