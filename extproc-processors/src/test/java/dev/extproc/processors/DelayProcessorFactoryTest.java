package dev.extproc.processors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.HttpHeaders;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DelayProcessorFactoryTest {

  /** A scheduler that counts the timers it is given. */
  private static final class CountingScheduler extends ScheduledThreadPoolExecutor {
    final AtomicInteger timers = new AtomicInteger();
    final AtomicLong lastDelayNanos = new AtomicLong();

    CountingScheduler() {
      super(1);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      timers.incrementAndGet();
      lastDelayNanos.set(unit.toNanos(delay));
      return super.schedule(command, delay, unit);
    }
  }

  private final CountingScheduler scheduler = new CountingScheduler();

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
  }

  @Test
  void everyEvent_isDelayedByATimer_andPassesThrough() throws Exception {
    DelayProcessorFactory delay = DelayProcessorFactory.of(Duration.ofMillis(1));
    ByteString body = Bodies.body(50_000, 1);

    EngineExchange.Result result;
    try (EngineExchange exchange = new EngineExchange(delay, scheduler, BodyMode.STREAMED, BodyMode.NONE)) {
      result = exchange.direction(Direction.REQUEST, HttpHeaders.empty(), Bodies.chunks(body, 10_000));
    }

    assertThat(result.body()).isEqualTo(body);
    // headers + 5 chunks + end
    assertThat(scheduler.timers).hasValue(7);
    assertThat(scheduler.lastDelayNanos).hasValue(1_000_000);
  }

  @Test
  void zeroDelay_usesNoTimer() throws Exception {
    try (EngineExchange exchange = new EngineExchange(DelayProcessorFactory.of(Duration.ZERO), scheduler, BodyMode.STREAMED, BodyMode.NONE)) {
      assertThat(exchange.direction(Direction.REQUEST, HttpHeaders.empty(), List.of(ByteString.copyFromUtf8("x"))).body().toStringUtf8())
          .isEqualTo("x");
    }

    assertThat(scheduler.timers).hasValue(0);
  }

  @Test
  void durations_parse() {
    assertThat(DelayProcessorFactory.parseDuration("1ms")).isEqualTo(Duration.ofMillis(1));
    assertThat(DelayProcessorFactory.parseDuration("250us")).isEqualTo(Duration.ofNanos(250_000));
    assertThat(DelayProcessorFactory.parseDuration("2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(DelayProcessorFactory.parseDuration("0.5ms")).isEqualTo(Duration.ofNanos(500_000));
    assertThat(DelayProcessorFactory.parseDuration("3")).isEqualTo(Duration.ofMillis(3));
    assertThat(DelayProcessorFactory.parseDuration("PT0.1S")).isEqualTo(Duration.ofMillis(100));
    assertThatThrownBy(() -> DelayProcessorFactory.parseDuration("soon"))
        .hasMessage("duration: soon (expected: e.g. 1ms, 250us, 2s or PT0.5S)");
    assertThatThrownBy(() -> DelayProcessorFactory.of(Duration.ofMillis(-1))).hasMessageContaining("expected: >= 0");
  }
}
