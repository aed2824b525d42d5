package dev.extproc.app.fuzz;

import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.FakeEnvoy;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.grpc.Channel;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Drives one {@link ExtProcService} with generated raw-bytes streams ({@link FuzzCases}) over an
 * in-process transport and, for a share of them, over real Netty on loopback, while well-behaved
 * exchanges ({@link FakeEnvoy}, every few body modes, bodies checked byte for byte) run beside;
 * then waits for the server to settle and reports what was left ({@link FuzzReport}).
 *
 * <p>The engine runs with 64 KiB body messages, so an oversized message costs about 1 MiB.
 * Deterministic in what it sends for a seed (the interleaving of streams is not).
 */
public final class ProtocolFuzzer {
  /** Every kind of input. */
  public static final Set<FuzzCase.Kind> ALL_KINDS = EnumSet.allOf(FuzzCase.Kind.class);

  private static final Duration STREAM_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(10);

  private final long seed;
  private final long streams;
  private final int concurrency;
  private final double nettyShare;
  private final Set<FuzzCase.Kind> kinds;

  /**
   * @param seed the seed of every random choice
   * @param streams how many fuzzed streams to run
   * @param concurrency how many run at once
   * @param nettyShare the share of streams sent over Netty on loopback (0 to 1)
   * @param kinds the kinds of input to generate
   */
  public ProtocolFuzzer(long seed, long streams, int concurrency, double nettyShare, Set<FuzzCase.Kind> kinds) {
    if (streams < 1 || concurrency < 1 || nettyShare < 0 || nettyShare > 1) {
      throw new IllegalArgumentException(
          "fuzz: streams " + streams + ", concurrency " + concurrency + ", nettyShare " + nettyShare
              + " (expected: streams >= 1, concurrency >= 1, 0 <= nettyShare <= 1)");
    }
    this.seed = seed;
    this.streams = streams;
    this.concurrency = concurrency;
    this.nettyShare = nettyShare;
    this.kinds = Set.copyOf(kinds);
  }

  /** Runs the streams and returns the report; stops every server, channel and thread it started. */
  public FuzzReport run() throws IOException, InterruptedException {
    long started = System.nanoTime();
    FuzzReport report = new FuzzReport(seed);
    ExecutorService clients = Executors.newFixedThreadPool(concurrency + 1);
    try (FuzzTarget target = new FuzzTarget()) {
      AtomicBoolean fuzzing = new AtomicBoolean(true);
      Future<Void> good = clients.submit(() -> wellBehaved(report, fuzzing, target.inProcess(), target.netty()));
      try {
        fuzz(report, clients, target.inProcess(), target.netty(), target.maxInboundMessageBytes());
      } finally {
        fuzzing.set(false);
      }
      good.get(2, TimeUnit.MINUTES);
      report.finish(target.settle(SETTLE_TIMEOUT), Duration.ofNanos(System.nanoTime() - started));
      return report;
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("fuzz: the well-behaved exchanges did not finish", e);
    } finally {
      clients.shutdownNow();
      clients.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private void fuzz(FuzzReport report, ExecutorService clients, Channel inProcess, Channel netty, int maxInbound)
      throws InterruptedException {
    Random random = new Random(seed);
    FuzzCases cases = new FuzzCases(kinds, maxInbound);
    Semaphore slots = new Semaphore(concurrency);
    for (long i = 0; i < streams; i++) {
      FuzzCase fuzzCase = cases.next(random);
      boolean overNetty = random.nextDouble() < nettyShare;
      slots.acquire();
      clients.execute(
          () -> {
            try {
              report.record(fuzzCase, RawProcessCall.run(overNetty ? netty : inProcess, fuzzCase, STREAM_TIMEOUT), overNetty);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            } finally {
              slots.release();
            }
          });
    }
    slots.acquire(concurrency);
    slots.release(concurrency);
  }

  /** Runs byte-checked exchanges, alternating transports and modes, until the fuzzing ends (at least one). */
  private Void wellBehaved(FuzzReport report, AtomicBoolean fuzzing, Channel inProcess, Channel netty) {
    Random random = new Random(seed ^ 0x5DEECE66DL);
    BodySendMode[] modes = {BodySendMode.STREAMED, BodySendMode.FULL_DUPLEX_STREAMED, BodySendMode.BUFFERED, BodySendMode.NONE};
    FakeEnvoy[] envoys = {
      FakeEnvoy.forChannel(inProcess).timeout(Duration.ofSeconds(30)), FakeEnvoy.forChannel(netty).timeout(Duration.ofSeconds(30))
    };
    long n = 0;
    do {
      BodySendMode mode = modes[(int) (n % modes.length)];
      // BUFFERED: one message, within the engine's 64 KiB body messages.
      int size = 1 + random.nextInt(mode == BodySendMode.BUFFERED ? 60_000 : 200_000);
      BodySource body = BodySource.random(size, random.nextLong());
      Exchange.Builder exchange = Exchange.builder().bodyMode(mode).requestBody(body).echoRequestBody().chunkSize(1 + random.nextInt(32_768));
      if (mode == BodySendMode.FULL_DUPLEX_STREAMED) {
        exchange.trailerMode(HeaderSendMode.SEND);
      }
      String failure;
      try {
        ExchangeResult result = envoys[(int) (n / modes.length % 2)].run(exchange.build());
        failure =
            result.status() == 200 && result.upstream().body().matches(body) && result.client().body().matches(body)
                ? null
                : mode + ": " + result.summary();
      } catch (RuntimeException e) {
        failure = mode + ": " + e;
      }
      report.goodExchange(failure);
      n++;
    } while (fuzzing.get());
    return null;
  }
}
