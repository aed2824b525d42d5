package dev.extproc.sse;

/** An event stream broke a framing limit (an event larger than the configured bound). */
public final class SseFramingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SseFramingException(String message) {
    super(message);
  }
}
