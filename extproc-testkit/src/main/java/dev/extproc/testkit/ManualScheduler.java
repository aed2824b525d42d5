package dev.extproc.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.RunnableScheduledFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ScheduledExecutorService} on a manual clock: nothing runs until the test says so, and
 * time moves only when the test moves it. Give it to {@code ExtProcService.Builder.scheduler} to
 * test timers (delays, timeouts) without waiting.
 *
 * <pre>{@code
 * ManualScheduler scheduler = new ManualScheduler();
 * ScheduledFuture<?> timer = scheduler.schedule(task, 5, TimeUnit.SECONDS);
 * scheduler.advance(Duration.ofSeconds(4)); // task has not run
 * scheduler.advance(Duration.ofSeconds(1)); // task ran, on this thread
 * }</pre>
 *
 * <p><b>Threading.</b> Tasks may be submitted from any thread; they run only on the thread that
 * calls {@link #runDueTasks()} or {@link #advance}, one at a time, in order of due time and then
 * of submission. {@link #execute} is a task due now.
 */
public final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {
  private final PriorityQueue<Task<?>> queue = new PriorityQueue<>();
  private long nowNanos;
  private long sequence;
  private boolean shutdown;

  /** Returns the manual clock's time, in nanoseconds since the scheduler was made. */
  public synchronized long nanoTime() {
    return nowNanos;
  }

  /** Returns how many tasks wait (due or not). */
  public synchronized int pendingTasks() {
    return queue.size();
  }

  /** Runs every task due now, including those they schedule for now; returns how many ran. */
  public int runDueTasks() {
    int ran = 0;
    for (Task<?> task; (task = pollDue()) != null; ran++) {
      task.run();
    }
    return ran;
  }

  /** Moves the clock forward by {@code delta}, running each task when its due time is reached; returns how many ran. */
  public int advance(Duration delta) {
    if (delta.isNegative()) {
      throw new IllegalArgumentException("delta: " + delta + " (expected: >= 0)");
    }
    long target;
    synchronized (this) {
      target = nowNanos + delta.toNanos();
    }
    int ran = runDueTasks();
    while (true) {
      Task<?> next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.dueNanos > target) {
          nowNanos = target;
          break;
        }
        nowNanos = Math.max(nowNanos, next.dueNanos);
      }
      ran += runDueTasks();
    }
    return ran + runDueTasks();
  }

  private synchronized Task<?> pollDue() {
    Task<?> next = queue.peek();
    if (next == null || next.dueNanos > nowNanos) {
      return null;
    }
    return queue.poll();
  }

  private synchronized <V> Task<V> enqueue(Task<V> task) {
    if (shutdown) {
      throw new RejectedExecutionException("ManualScheduler is shut down");
    }
    queue.add(task);
    return task;
  }

  private synchronized long dueIn(long delay, TimeUnit unit) {
    return nowNanos + Math.max(0, unit.toNanos(delay));
  }

  private synchronized long nextSequence() {
    return sequence++;
  }

  @Override
  public void execute(Runnable command) {
    schedule(command, 0, TimeUnit.NANOSECONDS);
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return enqueue(new Task<>(Executors.callable(command, null), dueIn(delay, unit), 0));
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    return enqueue(new Task<>(callable, dueIn(delay, unit), 0));
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
    return periodic(command, initialDelay, period, unit);
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
    // On a manual clock a task takes no time, so fixed rate and fixed delay are the same.
    return periodic(command, initialDelay, delay, unit);
  }

  private ScheduledFuture<?> periodic(Runnable command, long initialDelay, long period, TimeUnit unit) {
    if (period <= 0) {
      throw new IllegalArgumentException("period: " + period + " (expected: > 0)");
    }
    return enqueue(new Task<>(Executors.callable(command, null), dueIn(initialDelay, unit), unit.toNanos(period)));
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
  }

  @Override
  public synchronized List<Runnable> shutdownNow() {
    shutdown = true;
    List<Runnable> left = new ArrayList<>(queue);
    queue.clear();
    return left;
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public synchronized boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return isTerminated();
  }

  /** A queued task; periodic ones re-enqueue themselves after each run. */
  private final class Task<V> extends FutureTask<V> implements RunnableScheduledFuture<V> {
    private final long periodNanos;
    private final long seq = nextSequence();
    private long dueNanos;

    Task(Callable<V> callable, long dueNanos, long periodNanos) {
      super(callable);
      this.dueNanos = dueNanos;
      this.periodNanos = periodNanos;
    }

    @Override
    public boolean isPeriodic() {
      return periodNanos > 0;
    }

    @Override
    public void run() {
      if (!isPeriodic()) {
        super.run();
      } else if (runAndReset()) {
        synchronized (ManualScheduler.this) {
          dueNanos += periodNanos;
          if (!shutdown) {
            queue.add(this);
          }
        }
      }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      synchronized (ManualScheduler.this) {
        queue.remove(this);
      }
      return cancelled;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(dueNanos - nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed other) {
      if (other instanceof Task<?> task) {
        int byTime = Long.compare(dueNanos, task.dueNanos);
        return byTime != 0 ? byTime : Long.compare(seq, task.seq);
      }
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
    }
  }
}
