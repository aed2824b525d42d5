package dev.extproc.echo;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP echo backend: answers each request with its own body, over HTTP/1.1 and cleartext
 * HTTP/2 with prior knowledge on the same port. {@code GET /healthz} answers {@code ok}; other
 * {@code GET} and {@code HEAD} requests without a body get an empty 200.
 *
 * <pre>{@code
 * try (EchoServer server = EchoServer.builder().port(0).build()) {
 *   int port = server.start();
 *   // POST http://127.0.0.1:<port>/anything -> 200 with the same body, streamed back
 * }
 * }</pre>
 *
 * <p>{@link #start()} and {@link #close()} may be called from any thread except the server's own
 * event loops.
 */
public final class EchoServer implements AutoCloseable {

  private static final Logger logger = LoggerFactory.getLogger(EchoServer.class);

  private final String host;
  private final int port;
  private final EchoMode mode;
  private final List<EchoEffect> effects;
  private final int ioThreads;

  private final Object lock = new Object();
  private EventLoopGroup group;
  private Channel serverChannel;
  private boolean closed;

  private EchoServer(Builder builder) {
    this.host = builder.host;
    this.port = builder.port;
    this.mode = builder.mode;
    this.effects = List.copyOf(builder.effects);
    this.ioThreads = builder.ioThreads;
  }

  /** Returns a builder with the defaults: 127.0.0.1, port 8688, streaming, no effects. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Binds and starts serving.
   *
   * @return the bound port (the ephemeral one when the configured port is 0)
   * @throws IllegalStateException when already started or closed
   * @throws UncheckedIOException when the port cannot be bound
   */
  public int start() {
    synchronized (lock) {
      if (closed || group != null) {
        throw new IllegalStateException("echo server: already " + (closed ? "closed" : "started"));
      }
      EffectPlan plan = EffectPlan.of(effects);
      group =
          new MultiThreadIoEventLoopGroup(
              ioThreads, new DefaultThreadFactory("extproc-echo"), NioIoHandler.newFactory());
      try {
        serverChannel =
            new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                // Reads are requested by the handlers, only when the previous data was written.
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new EchoInitializer(mode, plan))
                .bind(host, port)
                .syncUninterruptibly()
                .channel();
      } catch (Exception e) { // bind() rethrows the checked BindException undeclared
        shutdownGroup();
        group = null;
        closed = true;
        if (e instanceof IOException io) {
          throw new UncheckedIOException(
              "echo server: cannot bind " + host + ":" + port + ": " + io.getMessage(), io);
        }
        if (e instanceof RuntimeException re) {
          throw re;
        }
        throw new IllegalStateException("echo server: cannot start", e);
      }
      int bound = ((InetSocketAddress) serverChannel.localAddress()).getPort();
      logger.info("echo listening host={} port={} mode={} effects={}", host, bound, mode, effects);
      return bound;
    }
  }

  /** Returns the bound port; fails when the server is not started. */
  public int port() {
    synchronized (lock) {
      if (serverChannel == null) {
        throw new IllegalStateException("echo server: not started");
      }
      return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }
  }

  /**
   * Stops listening, closes every connection and terminates the event loop threads; returns once
   * they are gone. Idempotent.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      if (serverChannel != null) {
        serverChannel.close().syncUninterruptibly();
      }
      if (group != null) {
        shutdownGroup();
      }
    }
  }

  private void shutdownGroup() {
    // No quiet period: connections are closed by the shutdown itself; exchanges in flight end.
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Builds an {@link EchoServer}. Not thread-safe. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = 8688;
    private EchoMode mode = EchoMode.streaming();
    private List<EchoEffect> effects = List.of();
    private int ioThreads = Runtime.getRuntime().availableProcessors();

    private Builder() {}

    /** Sets the address to bind (default 127.0.0.1). */
    public Builder host(String host) {
      this.host = requireNonNull(host, "host");
      return this;
    }

    /** Sets the port to bind (default 8688); 0 binds an ephemeral port. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
      }
      this.port = port;
      return this;
    }

    /** Sets the mode (default {@link EchoMode#streaming()}). */
    public Builder mode(EchoMode mode) {
      this.mode = requireNonNull(mode, "mode");
      return this;
    }

    /** Sets the fault effects applied to every exchange (default none); one of each kind at most. */
    public Builder effects(List<? extends EchoEffect> effects) {
      List<EchoEffect> copy = List.copyOf(requireNonNull(effects, "effects"));
      EffectPlan.of(copy);
      this.effects = copy;
      return this;
    }

    /** Sets the fault effects applied to every exchange (default none); one of each kind at most. */
    public Builder effects(EchoEffect... effects) {
      return effects(List.of(effects));
    }

    /** Sets the number of event loop threads (default: the number of processors). */
    public Builder ioThreads(int ioThreads) {
      if (ioThreads < 1) {
        throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 1)");
      }
      this.ioThreads = ioThreads;
      return this;
    }

    /** Returns a new, not yet started server. */
    public EchoServer build() {
      return new EchoServer(this);
    }
  }
}
