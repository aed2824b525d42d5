package dev.extproc.app.e2e;

/**
 * Holds a client's upload at a given body offset until the test resumes or aborts it (the HTTP
 * client's {@link dev.extproc.client.UploadGate} under the e2e tests' name). One gate serves one
 * exchange.
 */
final class UploadGate extends dev.extproc.client.UploadGate {

  /** A gate that stops the upload once {@code pauseAt} body bytes were written (and flushed). */
  UploadGate(long pauseAt) {
    super(pauseAt);
  }
}
