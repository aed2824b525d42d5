package dev.extproc.server;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The admin HTTP/1.1 server: {@code GET /healthz}, {@code /stats}, {@code /metrics} on a Netty
 * event loop of its own. Non-blocking, so a client that stalls cannot hold up another; every
 * connection must complete a request within {@code requestTimeout} of connecting (or of its
 * previous response) or it is closed, so stalled and idle connections cannot pile up either.
 * Requests are bounded (4 KiB request line, 8 KiB headers, 8 KiB body).
 */
public final class AdminServer implements AutoCloseable {
  static final int MAX_INITIAL_LINE = 4096;
  static final int MAX_HEADER_BYTES = 8192;
  static final int MAX_BODY_BYTES = 8192;

  private final EventLoopGroup group;
  private final Channel channel;

  private AdminServer(EventLoopGroup group, Channel channel) {
    this.group = group;
    this.channel = channel;
  }

  /** Binds {@code address} (port 0 picks a free port) and serves {@code endpoints}. */
  public static AdminServer start(InetSocketAddress address, AdminEndpoints endpoints, Duration requestTimeout)
      throws IOException {
    requireNonNull(address, "address");
    requireNonNull(endpoints, "endpoints");
    long timeoutNanos = requestTimeout.toNanos();
    if (timeoutNanos <= 0) {
      throw new IllegalArgumentException("admin request timeout: " + requestTimeout + " (expected: > 0)");
    }
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
        runnable -> {
          Thread thread = new Thread(runnable, "extproc-admin");
          thread.setDaemon(true);
          return thread;
        },
        NioIoHandler.newFactory());
    try {
      Channel channel = new ServerBootstrap()
          .group(group)
          .channel(NioServerSocketChannel.class)
          .option(ChannelOption.SO_REUSEADDR, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline()
                  .addLast(new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_BYTES, MAX_BODY_BYTES))
                  .addLast(new HttpObjectAggregator(MAX_BODY_BYTES))
                  .addLast(new AdminHandler(endpoints, timeoutNanos));
            }
          })
          .bind(address)
          .sync()
          .channel();
      return new AdminServer(group, channel);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw new IOException("interrupted while binding the admin server to " + address, e);
    } catch (RuntimeException e) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw new IOException("cannot bind the admin server to " + address + ": " + e.getMessage(), e);
    }
  }

  /** Returns the address bound (with the port chosen when 0 was asked). */
  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  /** Returns the port bound. */
  public int port() {
    return address().getPort();
  }

  /** Closes the listener and every connection; waits at most a few seconds. */
  @Override
  public void close() {
    channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
