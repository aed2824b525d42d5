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

  private final Clock clock;
  private long lastMillis;
  private long sequence;

  ExchangeIds(Clock clock) {
    this.clock = clock;
  }

  synchronized String next() {
    lastMillis = Math.max(lastMillis, clock.millis());
    sequence++;
    return TIMESTAMP.format(java.time.Instant.ofEpochMilli(lastMillis)) + "-" + String.format("%010d", sequence);
  }
}
