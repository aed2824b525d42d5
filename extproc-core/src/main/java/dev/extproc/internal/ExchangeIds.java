package dev.extproc.internal;

import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Makes exchange ids unique within one service: a UTC timestamp to the millisecond, a dash and a
 * zero-padded per-service sequence number, e.g. {@code 20261127101503042-0000000017}. Ids sort
 * lexicographically by start time (the clock is never allowed to go backwards) and contain only
 * {@code [0-9-]}, so they are safe in file names. Thread-safe.
 */
final class ExchangeIds {
  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyyMMddHHmmssSSS").withZone(ZoneOffset.UTC);

  private static final int SEQUENCE_DIGITS = 10;

  private final Clock clock;
  private long lastMillis = Long.MIN_VALUE;
  private long sequence;
  /** The timestamp part for {@link #lastMillis}: formatted once per millisecond, not once per id. */
  private String lastTimestamp = "";

  ExchangeIds(Clock clock) {
    this.clock = clock;
  }

  synchronized String next() {
    long now = clock.millis();
    if (now > lastMillis) {
      lastMillis = now;
      lastTimestamp = TIMESTAMP.format(java.time.Instant.ofEpochMilli(now));
    }
    sequence++;
    // Zero-padded by hand: String.format costs a Formatter and locale lookups per stream.
    String digits = Long.toString(sequence);
    StringBuilder id = new StringBuilder(lastTimestamp.length() + 1 + Math.max(SEQUENCE_DIGITS, digits.length()));
    id.append(lastTimestamp).append('-');
    for (int i = digits.length(); i < SEQUENCE_DIGITS; i++) {
      id.append('0');
    }
    return id.append(digits).toString();
  }
}
