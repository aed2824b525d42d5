package dev.extproc.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class MemoryMeterTest {

  @Test
  void samplesEverySourceAndKeepsPeaks() {
    AtomicLong value = new AtomicLong(5);
    MeterSource rising = source("rising", () -> Map.of(Metric.ENVOY_RSS, value.getAndAdd(5)));
    MeterSource own = MeterSources.process("self", ProcessHandle.current().pid(), Metric.ECHO_RSS, Metric.ECHO_PEAK_RSS);

    MemoryRecording recording;
    try (MemoryMeter meter = MemoryMeter.start(List.of(rising, own), Duration.ofMillis(10))) {
      await().atMost(Duration.ofSeconds(10)).until(() -> meter.readings() >= 10);
      recording = meter.stop();
    }

    assertThat(recording.count(Metric.ENVOY_RSS)).isGreaterThanOrEqualTo(5);
    assertThat(recording.peak(Metric.ENVOY_RSS)).hasValue(recording.last(Metric.ENVOY_RSS).getAsLong());
    assertThat(recording.peak(Metric.ECHO_RSS).getAsLong()).isGreaterThan(10L * 1024 * 1024);
    assertThat(recording.peak(Metric.ECHO_PEAK_RSS).getAsLong()).isGreaterThanOrEqualTo(recording.peak(Metric.ECHO_RSS).getAsLong());
    assertThat(recording.problems()).isEmpty();
    assertThat(recording.samples()).isSortedAccordingTo((a, b) -> Long.compare(a.elapsedMillis(), b.elapsedMillis()));
  }

  @Test
  void failingSource_isCountedAndTheOthersGoOn() {
    MeterSource broken = source("broken", () -> {
      throw new IOException("admin down");
    });
    MeterSource fine = source("fine", () -> Map.of(Metric.PROCESSOR_HEAP_USED, 42L));

    MemoryRecording recording;
    try (MemoryMeter meter = MemoryMeter.start(List.of(broken, fine), Duration.ofMillis(10))) {
      await().atMost(Duration.ofSeconds(10)).until(() -> meter.readings() >= 3);
      recording = meter.stop();
    }

    assertThat(recording.peak(Metric.PROCESSOR_HEAP_USED)).hasValue(42);
    assertThat(recording.problems()).singleElement().asString().startsWith("broken: ").contains("last: admin down");
  }

  @Test
  void stop_isIdempotent() {
    MemoryMeter meter = MemoryMeter.start(List.of(source("one", () -> Map.of(Metric.ECHO_RSS, 1L))), Duration.ofMillis(50));

    MemoryRecording first = meter.stop();

    assertThat(meter.stop()).isSameAs(first);
    assertThat(first.peak(Metric.ECHO_RSS)).hasValue(1);
  }

  private interface Reader {
    Map<Metric, Long> read() throws IOException;
  }

  private static MeterSource source(String name, Reader reader) {
    return new MeterSource() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Map<Metric, Long> read() throws IOException {
        return reader.read();
      }
    };
  }
}
