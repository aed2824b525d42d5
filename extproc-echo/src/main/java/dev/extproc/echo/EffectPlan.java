package dev.extproc.echo;

import java.util.List;

/**
 * The effects of a server resolved into plain numbers for the per-exchange code.
 *
 * @param headerDelayNanos delay before the response headers; 0 for none
 * @param throttleBytesPerSecond echo rate limit; 0 for none
 * @param resetAfterBytes body bytes echoed before a reset; -1 for none
 */
record EffectPlan(long headerDelayNanos, long throttleBytesPerSecond, long resetAfterBytes) {

  /** Resolves {@code effects}, rejecting two effects of the same kind. */
  static EffectPlan of(List<EchoEffect> effects) {
    long delay = 0;
    long throttle = 0;
    long reset = -1;
    boolean seenDelay = false;
    boolean seenThrottle = false;
    boolean seenReset = false;
    for (EchoEffect effect : effects) {
      boolean duplicate;
      if (effect instanceof EchoEffect.DelayHeaders d) {
        duplicate = seenDelay;
        seenDelay = true;
        delay = d.delay().toNanos();
      } else if (effect instanceof EchoEffect.ThrottleBody t) {
        duplicate = seenThrottle;
        seenThrottle = true;
        throttle = t.bytesPerSecond();
      } else if (effect instanceof EchoEffect.ResetAfter r) {
        duplicate = seenReset;
        seenReset = true;
        reset = r.bodyBytes();
      } else {
        throw new AssertionError(effect);
      }
      if (duplicate) {
        throw new IllegalArgumentException(
            "effects: " + effects + " (expected: at most one effect of each kind)");
      }
    }
    return new EffectPlan(delay, throttle, reset);
  }

  /** Returns the number of bytes echoed per throttle slice: about 50 ms worth, at least 1. */
  int throttleSliceBytes() {
    return (int) Math.max(1, Math.min(1 << 20, throttleBytesPerSecond / 20));
  }
}
