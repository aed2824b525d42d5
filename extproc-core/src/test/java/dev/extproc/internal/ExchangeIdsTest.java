package dev.extproc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ExchangeIdsTest {

  @Test
  void idsAreUniqueTimeOrderedAndFileNameSafeEvenWhenTheClockGoesBack() {
    AtomicLong millis = new AtomicLong(Instant.parse("2026-11-27T10:15:03.042Z").toEpochMilli());
    Clock clock = new Clock() {
      @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
      @Override public Clock withZone(java.time.ZoneId zone) { return this; }
      @Override public Instant instant() { return Instant.ofEpochMilli(millis.get()); }
    };
    ExchangeIds ids = new ExchangeIds(clock);
    List<String> made = new ArrayList<>();
    made.add(ids.next());
    millis.addAndGet(-5000);
    made.add(ids.next());
    millis.addAndGet(10_000);
    made.add(ids.next());
    assertThat(made.get(0)).isEqualTo("20261127101503042-0000000001");
    assertThat(made).isSorted().doesNotHaveDuplicates().allMatch(id -> id.matches("[0-9A-Za-z-]+"));
  }
}
