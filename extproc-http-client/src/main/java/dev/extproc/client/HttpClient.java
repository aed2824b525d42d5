package dev.extproc.client;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The project's HTTP client (tests, bench, demo): HTTP/1.1 and h2c on Netty. Request bodies are read
 * chunk by chunk only while the connection can take more (socket writability, HTTP/2 flow control);
 * responses are digested as they arrive ({@link BodyDigest}) and read while the request is still
 * being written, so a backend that streams the body back cannot deadlock it.
 *
 * <p>{@link #start} runs one exchange on a connection of its own (closed when the exchange ends);
 * {@link #connect} opens a connection for several exchanges (HTTP/1.1 keep-alive, HTTP/2 streams).
 * Thread-safe. Closing the client shuts down its event loop if it made one.
 */
public final class HttpClient implements AutoCloseable {

  /** HTTP/2 receive window per stream: large enough that a 16 MiB echo streams without many round trips. */
  public static final int STREAM_WINDOW = 1024 * 1024;
  /** HTTP/2 receive window of the connection. */
  public static final int CONNECTION_WINDOW = 4 * 1024 * 1024;
  private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

  private final EventLoopGroup group;
  private final boolean ownsGroup;

  /** A client with an event loop of its own (one thread), shut down by {@link #close()}. */
  public HttpClient() {
    this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("extproc-http-client", true),
        NioIoHandler.newFactory());
    this.ownsGroup = true;
  }

  /** A client on an event loop group the caller owns (and shuts down). */
  public HttpClient(EventLoopGroup group) {
    this.group = requireNonNull(group, "group");
    this.ownsGroup = false;
  }

  /**
   * Starts one exchange on a new connection to {@code target}, closed when the exchange ends. A
   * failed connect ends the exchange as {@link Response.Outcome#CONNECTION_CLOSED}.
   */
  public Exchange start(InetSocketAddress target, HttpProtocol protocol, Request request) {
    Exchange exchange = new Exchange(request);
    connect(target, protocol, true).whenComplete((connection, failure) -> {
      if (failure != null) {
        exchange.complete(Response.Outcome.CONNECTION_CLOSED, failure.getMessage());
      } else if (connection instanceof Http1Connection h1) {
        h1.start(exchange, true);
      } else {
        ((Http2Connection) connection).start(exchange, true);
      }
    });
    return exchange;
  }

  /**
   * Runs one exchange on a new connection and waits for its end.
   *
   * @throws TimeoutException when the request's timeout passed first (the message tells the progress)
   */
  public Response exchange(InetSocketAddress target, HttpProtocol protocol, Request request)
      throws InterruptedException, TimeoutException {
    try {
      return start(target, protocol, request).await();
    } catch (ExecutionException e) {
      throw new IllegalStateException("the exchange failed without a response: " + e.getCause(), e.getCause());
    }
  }

  /** Opens a connection for several exchanges; the future fails when the connect fails. */
  public CompletableFuture<Connection> connect(InetSocketAddress target, HttpProtocol protocol) {
    return connect(target, protocol, false);
  }

  /** Opens a connection and waits (up to the 5 s connect timeout) until it is up. */
  public Connection open(InetSocketAddress target, HttpProtocol protocol) throws InterruptedException {
    try {
      return connect(target, protocol).get(CONNECT_TIMEOUT_MILLIS + 1_000L, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("connect to " + target + " failed: " + e, e);
    }
  }

  private CompletableFuture<Connection> connect(InetSocketAddress target, HttpProtocol protocol, boolean owned) {
    requireNonNull(target, "target");
    requireNonNull(protocol, "protocol");
    AtomicReference<Connection> made = new AtomicReference<>();
    Bootstrap bootstrap = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ByteCounter counter = new ByteCounter();
            if (protocol == HttpProtocol.HTTP_1_1) {
              Http1Connection connection = new Http1Connection(ch, counter, owned);
              ch.pipeline().addLast(counter, new HttpClientCodec(), connection);
              made.set(connection);
            } else {
              Http2Connection connection = new Http2Connection(ch, counter, owned);
              ch.pipeline().addLast(
                  counter,
                  Http2FrameCodecBuilder.forClient()
                      .initialSettings(Http2Settings.defaultSettings().initialWindowSize(STREAM_WINDOW))
                      .build(),
                  new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
                  connection);
              made.set(connection);
            }
          }
        });
    CompletableFuture<Connection> result = new CompletableFuture<>();
    ChannelFuture connect = bootstrap.connect(target);
    connect.addListener(f -> {
      if (!f.isSuccess()) {
        result.completeExceptionally(new java.io.IOException("connect to " + target + " failed: " + f.cause(), f.cause()));
        return;
      }
      Channel channel = connect.channel();
      if (protocol == HttpProtocol.HTTP_2) {
        // A stream id of 0 means the connection window (Http2FrameCodec contract).
        channel.writeAndFlush(new DefaultHttp2WindowUpdateFrame(CONNECTION_WINDOW - 65_535));
      }
      result.complete(made.get());
    });
    return result;
  }

  @Override
  public void close() {
    if (ownsGroup) {
      group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
