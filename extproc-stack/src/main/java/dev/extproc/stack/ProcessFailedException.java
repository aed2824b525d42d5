package dev.extproc.stack;

/**
 * A managed child process died or did not become ready in time. The message names the process,
 * what was awaited, and ends with the tail of its log.
 */
public final class ProcessFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ProcessFailedException(String message) {
    super(message);
  }

  ProcessFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
