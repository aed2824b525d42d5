package dev.extproc.testkit;

import static java.util.Objects.requireNonNull;

import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.ExtProcStats;
import dev.extproc.ProcessorFactory;
import dev.extproc.testing.FakeEnvoy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that owns what a processor test needs: the schedulers, the services, the
 * {@link FakeEnvoy}s and {@link EmbeddedStream}s made through it. After each test it closes them
 * and fails the test if a stream was leaked (still active, or body bytes still held, 10 s after
 * the test).
 *
 * <pre>{@code
 * class RedactorTest {
 *   @RegisterExtension final ExtProcExtension extproc = new ExtProcExtension();
 *
 *   @Test
 *   void masksCardNumbers() {
 *     FakeEnvoy envoy = extproc.fakeEnvoy(exchange -> ExchangeHandler.of(new Redactor(), new Redactor()));
 *     ExchangeResult result = envoy.run(Exchange.builder()
 *         .bodyMode(BodySendMode.STREAMED).requestBody(BodySource.of("card 4111111111111111")).chunkSize(5).build());
 *     assertThat(result.upstream().body().utf8()).isEqualTo("card ****************");
 *   }
 * }
 * }</pre>
 *
 * <p>Register it per test instance ({@code @RegisterExtension} on an instance field). Services made
 * by {@link #service} run on a real single-thread scheduler (FakeEnvoy runs block the test thread,
 * so timers must fire by themselves); services made for {@link #embedded} run on the extension's
 * {@link ManualScheduler}.
 */
public final class ExtProcExtension implements AfterEachCallback {
  private static final Duration LEAK_WAIT = Duration.ofSeconds(10);

  private final ManualScheduler manualScheduler = new ManualScheduler();
  private final List<ExtProcService> services = new ArrayList<>();
  private final List<FakeEnvoy> envoys = new ArrayList<>();
  private final List<EmbeddedStream> streams = new ArrayList<>();
  private ScheduledExecutorService scheduler;

  /** Returns the manual scheduler of the services made for {@link #embedded}. */
  public ManualScheduler manualScheduler() {
    return manualScheduler;
  }

  /** Returns a real scheduler (one daemon thread), shut down after the test. */
  public synchronized ScheduledExecutorService scheduler() {
    if (scheduler == null) {
      scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "extproc-test-scheduler");
        thread.setDaemon(true);
        return thread;
      });
    }
    return scheduler;
  }

  /** Returns a service of {@code factory} with the default configuration, on the real scheduler. */
  public ExtProcService service(ProcessorFactory factory) {
    return service(factory, ExtProcConfig.defaults());
  }

  /** Returns a service of {@code factory} with {@code config}, on the real scheduler; checked for leaks after the test. */
  public ExtProcService service(ProcessorFactory factory, ExtProcConfig config) {
    return track(ExtProcService.builder(factory).config(config).scheduler(scheduler()).build());
  }

  /** Returns a FakeEnvoy connected in-process to a new service of {@code factory} with the default configuration. */
  public FakeEnvoy fakeEnvoy(ProcessorFactory factory) {
    return fakeEnvoy(service(factory));
  }

  /** Returns a FakeEnvoy connected in-process to {@code service}; closed after the test. */
  public synchronized FakeEnvoy fakeEnvoy(ExtProcService service) {
    track(service);
    FakeEnvoy envoy = FakeEnvoy.forService(service, service.config().maxInboundMessageBytes());
    envoys.add(envoy);
    return envoy;
  }

  /** Returns a stream of a new service of {@code factory} with the default configuration, on the manual scheduler. */
  public EmbeddedStream embedded(ProcessorFactory factory) {
    return embedded(factory, ExtProcConfig.defaults());
  }

  /** Returns a stream of a new service of {@code factory} with {@code config}, on the manual scheduler. */
  public EmbeddedStream embedded(ProcessorFactory factory, ExtProcConfig config) {
    return embedded(track(ExtProcService.builder(factory).config(config).scheduler(manualScheduler).build()));
  }

  /** Returns a new stream of {@code service}, whose scheduler must be {@link #manualScheduler()}. */
  public synchronized EmbeddedStream embedded(ExtProcService service) {
    track(service);
    EmbeddedStream stream = EmbeddedStream.open(service, manualScheduler);
    streams.add(stream);
    return stream;
  }

  private synchronized ExtProcService track(ExtProcService service) {
    requireNonNull(service, "service");
    if (!services.contains(service)) {
      services.add(service);
    }
    return service;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    List<AssertionError> failures = new ArrayList<>();
    synchronized (this) {
      for (EmbeddedStream stream : streams) {
        stream.close();
      }
      for (FakeEnvoy envoy : envoys) {
        try {
          envoy.close();
        } catch (AssertionError e) {
          failures.add(e);
        }
      }
      for (ExtProcService service : services) {
        String leak = awaitNoLeak(service.stats());
        if (leak != null) {
          failures.add(new AssertionError(leak));
        }
      }
      manualScheduler.shutdownNow();
      if (scheduler != null) {
        scheduler.shutdownNow();
      }
    }
    if (!failures.isEmpty()) {
      AssertionError first = failures.get(0);
      failures.stream().skip(1).forEach(first::addSuppressed);
      throw first;
    }
  }

  /** Waits for the service to hold no stream and no byte; returns what leaked, or null. */
  private String awaitNoLeak(ExtProcStats stats) {
    long deadline = System.nanoTime() + LEAK_WAIT.toNanos();
    while (stats.activeStreams() != 0 || stats.bytesHeld() != 0) {
      manualScheduler.runDueTasks();
      if (System.nanoTime() - deadline > 0) {
        return "leak after the test: " + stats.activeStreams() + " stream(s) still active, "
            + stats.bytesHeld() + " body byte(s) still held";
      }
      try {
        TimeUnit.MILLISECONDS.sleep(5); // bounded poll of a counter another thread decrements
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "interrupted while checking for leaks";
      }
    }
    return null;
  }
}
