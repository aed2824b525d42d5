package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A closed loop of small POSTs: {@code connections} keep-alive connections, each sending the next request
 * as soon as the previous response arrived, for {@code duration}; every response must be 200 with the
 * request body echoed back.
 */
public final class SmallRequestLoop {

  /** The body size of the small-request scenario: 1 KiB. */
  public static final int DEFAULT_BODY_BYTES = 1024;

  private final EventLoopGroup group;

  /** Creates a loop on an event loop group the caller owns. */
  public SmallRequestLoop(EventLoopGroup group) {
    this.group = requireNonNull(group, "group");
  }

  /**
   * The outcome of a loop.
   *
   * @param completed responses that arrived within the duration, verified or not
   * @param failed responses that were not 200 with the request body, plus broken connections
   * @param elapsedNanos from the start to the end of the last connection
   * @param latencyMicros the latencies of the completed requests
   * @param firstError the first failure, or null
   */
  public record Result(long completed, long failed, long elapsedNanos, Histogram latencyMicros, String firstError) {
    /** Returns verified requests per second of elapsed time. */
    public double requestsPerSecond() {
      return elapsedNanos <= 0 ? 0 : (completed - failed) / (elapsedNanos / 1e9);
    }

    /** Returns how many responses were verified. */
    public long verified() {
      return completed - failed;
    }
  }

  /**
   * Runs the loop and waits for it.
   *
   * @param target {@code http://host:port/path}
   */
  public Result run(URI target, int connections, Duration duration, int bodyBytes) throws InterruptedException {
    requireNonNull(target, "target");
    requireNonNull(duration, "duration");
    if (connections < 1) {
      throw new IllegalArgumentException("connections: " + connections + " (expected: >= 1)");
    }
    if (bodyBytes < 0) {
      throw new IllegalArgumentException("bodyBytes: " + bodyBytes + " (expected: >= 0)");
    }
    byte[] payload = new byte[bodyBytes];
    new Random(42).nextBytes(payload);
    Recorder recorder = new Recorder(3);
    long start = System.nanoTime();
    long deadline = start + duration.toNanos();
    List<LoopHandler> handlers = new ArrayList<>();
    List<Channel> channels = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      LoopHandler handler = new LoopHandler(target, payload, deadline, recorder);
      handlers.add(handler);
      ChannelFuture connect = new Bootstrap()
          .group(group)
          .channel(NioSocketChannel.class)
          .option(ChannelOption.TCP_NODELAY, true)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1024 * 1024), handler);
            }
          })
          .connect(target.getHost(), target.getPort());
      channels.add(connect.channel());
      connect.addListener(f -> {
        if (!f.isSuccess()) {
          handler.stop("connect to " + target + " failed: " + f.cause());
        }
      });
    }
    CompletableFuture<Void> all = CompletableFuture.allOf(handlers.stream().map(h -> h.done).toArray(CompletableFuture[]::new));
    try {
      // A request in flight at the deadline may take a while; give it 30 s more, then cut.
      all.get(duration.toNanos() + TimeUnit.SECONDS.toNanos(30), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      channels.forEach(Channel::close);
      handlers.forEach(h -> h.stop("still waiting for a response 30 s after the end of the run"));
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
    long elapsed = System.nanoTime() - start;
    long completed = 0;
    long failed = 0;
    String firstError = null;
    for (LoopHandler h : handlers) {
      synchronized (h) {
        completed += h.completed;
        failed += h.failed;
        if (firstError == null) {
          firstError = h.firstError;
        }
      }
    }
    return new Result(completed, failed, elapsed, recorder.getIntervalHistogram(), firstError);
  }

  /** One connection of the loop; runs on its event loop. */
  private static final class LoopHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
    private final URI target;
    private final byte[] payload;
    private final long deadline;
    private final Recorder recorder;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    private long sentAt;
    long completed;
    long failed;
    String firstError;

    LoopHandler(URI target, byte[] payload, long deadline, Recorder recorder) {
      this.target = target;
      this.payload = payload;
      this.deadline = deadline;
      this.recorder = recorder;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      send(ctx);
      ctx.fireChannelActive();
    }

    private void send(ChannelHandlerContext ctx) {
      String path = target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath();
      FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
          Unpooled.wrappedBuffer(payload));
      request.headers()
          .set(HttpHeaderNames.HOST, target.getHost() + ":" + target.getPort())
          .set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream")
          .set(HttpHeaderNames.CONTENT_LENGTH, payload.length);
      sentAt = System.nanoTime();
      ctx.writeAndFlush(request).addListener(f -> {
        if (!f.isSuccess()) {
          stop("write failed: " + f.cause());
          ctx.close();
        }
      });
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
      long now = System.nanoTime();
      String error = verify(response);
      synchronized (this) {
        completed++;
        if (error != null) {
          failed++;
          if (firstError == null) {
            firstError = error;
          }
        }
      }
      recorder.recordValue(Math.max(1, (now - sentAt) / 1000));
      if (now < deadline && !done.isDone()) {
        send(ctx);
      } else {
        done.complete(null);
        ctx.close();
      }
    }

    private String verify(FullHttpResponse response) {
      if (response.status().code() != 200) {
        return "HTTP " + response.status().code() + " (expected: 200)";
      }
      ByteBuf content = response.content();
      if (content.readableBytes() != payload.length || !content.equals(Unpooled.wrappedBuffer(payload))) {
        return "response body of " + content.readableBytes() + " bytes differs from the " + payload.length
            + "-byte request body";
      }
      return null;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      stop("connection closed while waiting for a response");
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      stop("connection error: " + cause);
      ctx.close();
    }

    void stop(String error) {
      if (done.isDone()) {
        return;
      }
      synchronized (this) {
        failed++;
        completed++;
        if (firstError == null) {
          firstError = error;
        }
      }
      done.complete(null);
    }
  }
}
