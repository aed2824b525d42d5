package dev.extproc.stack;

/**
 * No Envoy of the pinned version was found. The message lists where it looked and says how to
 * install it ({@code scripts/install-envoy.sh}).
 */
public final class EnvoyNotFoundException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  EnvoyNotFoundException(String message) {
    super(message);
  }
}
