package dev.extproc.echo;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * An adverse behaviour the echo backend applies to every exchange, for tests of the components in
 * front of it (modelled on okhttp mockwebserver's named effects). Effects apply in streaming and
 * aggregating mode, over HTTP/1.1 and HTTP/2; at most one effect of each kind per server.
 */
public sealed interface EchoEffect
    permits EchoEffect.DelayHeaders, EchoEffect.ThrottleBody, EchoEffect.ResetAfter {

  /** Returns an effect that delays the response headers by {@code delay}. */
  static DelayHeaders delayHeaders(Duration delay) {
    return new DelayHeaders(delay);
  }

  /** Returns an effect that echoes the body at no more than {@code bytesPerSecond}. */
  static ThrottleBody throttleBody(long bytesPerSecond) {
    return new ThrottleBody(bytesPerSecond);
  }

  /** Returns an effect that resets each exchange once {@code bodyBytes} body bytes were echoed. */
  static ResetAfter resetAfter(long bodyBytes) {
    return new ResetAfter(bodyBytes);
  }

  /**
   * Delays the response headers (and so the whole response) by {@code delay}, scheduled on the
   * event loop. The request body is not read meanwhile beyond what already arrived, so the
   * client sees backpressure.
   *
   * @param delay how long to wait after the request headers arrived; zero means no delay
   */
  record DelayHeaders(Duration delay) implements EchoEffect {
    public DelayHeaders {
      requireNonNull(delay, "delay");
      if (delay.isNegative()) {
        throw new IllegalArgumentException("delay: " + delay + " (expected: >= 0)");
      }
    }
  }

  /**
   * Echoes the response body at no more than {@code bytesPerSecond}, in slices of about 50 ms
   * worth of bytes each; the request body is read no faster than it is echoed.
   *
   * @param bytesPerSecond the rate, at least 1
   */
  record ThrottleBody(long bytesPerSecond) implements EchoEffect {
    public ThrottleBody {
      if (bytesPerSecond < 1) {
        throw new IllegalArgumentException("bytesPerSecond: " + bytesPerSecond + " (expected: >= 1)");
      }
    }
  }

  /**
   * Resets the exchange as soon as {@code bodyBytes} response body bytes have been written (with
   * 0, right after the response headers): HTTP/1.1 closes the connection, HTTP/2 sends
   * RST_STREAM(CANCEL). A body shorter than {@code bodyBytes} ends normally.
   *
   * @param bodyBytes the number of body bytes echoed before the reset, at least 0
   */
  record ResetAfter(long bodyBytes) implements EchoEffect {
    public ResetAfter {
      if (bodyBytes < 0) {
        throw new IllegalArgumentException("bodyBytes: " + bodyBytes + " (expected: >= 0)");
      }
    }
  }
}
