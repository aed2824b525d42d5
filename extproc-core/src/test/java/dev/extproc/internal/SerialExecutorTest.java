package dev.extproc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SerialExecutorTest {

  @Test
  void nestedTasksRunAfterTheCurrentOneNotInsideIt() {
    List<String> order = new CopyOnWriteArrayList<>();
    SerialExecutor exec = new SerialExecutor("test", t -> order.add("error"));
    exec.execute(() -> {
      order.add("outer-start");
      exec.execute(() -> order.add("inner"));
      order.add("outer-end");
    });
    assertThat(order).containsExactly("outer-start", "outer-end", "inner");
  }

  @Test
  void tasksFromManyThreadsNeverOverlap() throws Exception {
    SerialExecutor exec = new SerialExecutor("test", t -> { });
    AtomicInteger running = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      CountDownLatch submitted = new CountDownLatch(4);
      for (int t = 0; t < 4; t++) {
        pool.execute(() -> {
          for (int i = 0; i < 10_000; i++) {
            exec.execute(() -> {
              if (running.incrementAndGet() != 1) {
                overlaps.incrementAndGet();
              }
              running.decrementAndGet();
              done.incrementAndGet();
            });
          }
          submitted.countDown();
        });
      }
      assertThat(submitted.await(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      pool.shutdown();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(done.get()).isEqualTo(40_000);
    assertThat(overlaps.get()).isZero();
  }

  @Test
  void aThrowingTaskIsReportedAndLaterTasksStillRun() {
    List<String> seen = new CopyOnWriteArrayList<>();
    SerialExecutor exec = new SerialExecutor("test", t -> seen.add(t.getMessage()));
    exec.execute(() -> { throw new IllegalStateException("bad"); });
    exec.execute(() -> seen.add("next"));
    assertThat(seen).containsExactly("bad", "next");
  }

  @Test
  void anIdleExecutorRunsTheTaskOnTheCallingThreadAtOnce_withTheExchangeIdInTheMdc() {
    SerialExecutor exec = new SerialExecutor("exchange-7", t -> { });
    List<String> seen = new CopyOnWriteArrayList<>();
    org.slf4j.MDC.put(SerialExecutor.MDC_KEY, "outer");
    try {
      exec.execute(() -> {
        seen.add(Thread.currentThread().getName());
        seen.add(org.slf4j.MDC.get(SerialExecutor.MDC_KEY));
        seen.add(String.valueOf(exec.isCurrent()));
      });
      assertThat(seen).containsExactly(Thread.currentThread().getName(), "exchange-7", "true");
      assertThat(org.slf4j.MDC.get(SerialExecutor.MDC_KEY)).isEqualTo("outer");
      assertThat(exec.isCurrent()).isFalse();
    } finally {
      org.slf4j.MDC.remove(SerialExecutor.MDC_KEY);
    }
  }

  @Test
  void tasksQueuedDuringAnIdleRunStillRunInOrderAfterIt() {
    List<String> order = new CopyOnWriteArrayList<>();
    SerialExecutor exec = new SerialExecutor("test", t -> order.add("error"));
    exec.execute(() -> {
      order.add("first");
      exec.execute(() -> {
        order.add("second");
        exec.execute(() -> order.add("fourth"));
      });
      exec.execute(() -> order.add("third"));
    });
    exec.execute(() -> order.add("fifth"));
    assertThat(order).containsExactly("first", "second", "third", "fourth", "fifth");
  }
}
