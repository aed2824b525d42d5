package dev.extproc.testing;

import static java.util.Objects.requireNonNull;

import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.grpc.BindableService;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plays Envoy's side of the ext_proc protocol against an ext_proc server, to test it without
 * Envoy. Each {@link #run(Exchange)} is one HTTP exchange on its own gRPC stream, sent the way
 * Envoy's {@code ext_proc} filter sends it for the configured body modes, with every reply checked
 * the way Envoy checks it: a reply Envoy would treat as spurious or out of order fails the run with
 * a {@link ProtocolViolation} naming the rule.
 *
 * <pre>{@code
 * try (FakeEnvoy envoy = FakeEnvoy.forService(myExtProcService)) {
 *   ExchangeResult result = envoy.run(Exchange.builder()
 *       .bodyMode(BodySendMode.STREAMED)
 *       .requestBody(BodySource.of("hello"))
 *       .build());
 *   assertThat(result.upstream().body().utf8()).isEqualTo("HELLO");
 * }
 * }</pre>
 *
 * <p>Runs are synchronous and never sleep: they wait on the stream's events with a bounded wait
 * (10 s by default, {@link #timeout(Duration)}). One FakeEnvoy can run exchanges from several
 * threads at once, each run on its own stream.
 */
public final class FakeEnvoy implements AutoCloseable {
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final Channel channel;
  private final Server server;
  private final ManagedChannel ownedChannel;
  private final ExecutorService executor;
  private volatile Duration timeout = Duration.ofSeconds(10);

  private FakeEnvoy(Channel channel, Server server, ManagedChannel ownedChannel, ExecutorService executor) {
    this.channel = channel;
    this.server = server;
    this.ownedChannel = ownedChannel;
    this.executor = executor;
  }

  /**
   * Starts {@code service} on an in-process gRPC server owned by the returned FakeEnvoy, and
   * connects to it. {@link #close()} shuts both down and fails if a call is still running.
   */
  public static FakeEnvoy forService(BindableService service) {
    return forService(service, Integer.MAX_VALUE);
  }

  /**
   * Like {@link #forService(BindableService)}, with the server's max inbound message size (as an
   * ext_proc server sets it from its configuration).
   */
  public static FakeEnvoy forService(BindableService service, int maxInboundMessageBytes) {
    requireNonNull(service, "service");
    String name = InProcessServerBuilder.generateName();
    ThreadFactory threads = runnable -> {
      Thread thread = new Thread(runnable, "fake-envoy-server-" + THREADS.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
    ExecutorService executor = Executors.newCachedThreadPool(threads);
    Server server;
    try {
      server = InProcessServerBuilder.forName(name)
          .executor(executor)
          .maxInboundMessageSize(maxInboundMessageBytes)
          .addService(service)
          .build()
          .start();
    } catch (IOException e) {
      executor.shutdownNow();
      throw new UncheckedIOException("cannot start the in-process server " + name, e);
    }
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    return new FakeEnvoy(channel, server, channel, executor);
  }

  /** Uses an existing channel (for example to a real server on a loopback port); the caller owns it. */
  public static FakeEnvoy forChannel(Channel channel) {
    return new FakeEnvoy(requireNonNull(channel, "channel"), null, null, null);
  }

  /** Sets the longest wait for any one event from the server (10 s by default). */
  public FakeEnvoy timeout(Duration value) {
    requireNonNull(value, "value");
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException("timeout: " + value + " (expected: > 0)");
    }
    this.timeout = value;
    return this;
  }

  /** Returns the channel exchanges run on. */
  public Channel channel() {
    return channel;
  }

  /**
   * Runs one exchange: the request direction, then (unless it ended in a local reply) the response
   * direction, then closes the gRPC stream as Envoy does.
   *
   * @throws ProtocolViolation when the server sends a reply Envoy would reject
   * @throws AssertionError when the server does not answer within the timeout
   */
  public ExchangeResult run(Exchange exchange) {
    return new ExchangeRun(requireNonNull(exchange, "exchange"), channel, timeout).run();
  }

  /** Opens a stream on which arbitrary messages can be sent, for bad-input tests. */
  public RawStream openRaw() {
    return new RawStream(SideStream.open(channel, timeout));
  }

  /**
   * Sends {@code messages} in order on a new stream, half-closes it, and waits for the server to end
   * it; returns the replies and the final status.
   */
  public RawResult sendRaw(List<ProcessingRequest> messages) {
    try (RawStream raw = openRaw()) {
      raw.send(messages);
      raw.halfClose();
      return new RawResult(raw.replies(), raw.awaitStatus());
    }
  }

  /**
   * Shuts the in-process server and channel down (when owned).
   *
   * @throws AssertionError when the server still had calls running after the timeout
   */
  @Override
  public void close() {
    if (server == null) {
      return;
    }
    ownedChannel.shutdown();
    server.shutdown();
    boolean serverDone;
    boolean channelDone;
    boolean executorDone;
    try {
      long nanos = timeout.toNanos();
      serverDone = server.awaitTermination(nanos, TimeUnit.NANOSECONDS);
      if (!serverDone) {
        server.shutdownNow();
        server.awaitTermination(nanos, TimeUnit.NANOSECONDS);
      }
      channelDone = ownedChannel.awaitTermination(nanos, TimeUnit.NANOSECONDS);
      if (!channelDone) {
        ownedChannel.shutdownNow();
      }
      executor.shutdown();
      executorDone = executor.awaitTermination(nanos, TimeUnit.NANOSECONDS);
      if (!executorDone) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
      ownedChannel.shutdownNow();
      executor.shutdownNow();
      throw new AssertionError("FakeEnvoy.close: interrupted", e);
    }
    if (!serverDone) {
      throw new AssertionError("FakeEnvoy.close: the server still had calls running " + timeout.toMillis()
          + " ms after shutdown (a stream was never ended)");
    }
    if (!channelDone || !executorDone) {
      throw new AssertionError("FakeEnvoy.close: " + (channelDone ? "server executor" : "channel")
          + " did not terminate within " + timeout.toMillis() + " ms");
    }
  }
}
