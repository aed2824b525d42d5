package dev.extproc.app.e2e;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** An HTTP/1.1 {@link TestHttpClient} on Netty: content-length or chunked bodies, chunked trailers. */
final class Http1TestClient implements TestHttpClient {

  /** Bytes per body write; the channel's write-buffer watermarks bound what is queued. */
  static final int CHUNK = 64 * 1024;

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

  @Override
  public Protocol protocol() {
    return Protocol.HTTP_1_1;
  }

  @Override
  public CompletableFuture<TestResponse> start(InetSocketAddress target, TestRequest request) {
    ExchangeState state = new ExchangeState(request);
    Bootstrap bootstrap =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast(new HttpClientCodec(), new ExchangeHandler(state, target));
                  }
                });
    ChannelFuture connect = bootstrap.connect(target);
    Channel channel = connect.channel();
    connect.addListener(
        (ChannelFutureListener) f -> {
          if (!f.isSuccess()) {
            state.complete(TestResponse.Outcome.CONNECTION_CLOSED, "connect to " + target + " failed: " + f.cause());
          }
        });
    ScheduledFuture<?> timer =
        channel.eventLoop().schedule(state::timeOut, request.timeout().toMillis(), TimeUnit.MILLISECONDS);
    state.result.whenComplete(
        (response, failure) -> {
          timer.cancel(false);
          channel.close();
        });
    return state.result;
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Writes the request as the channel allows and records the response. */
  private static final class ExchangeHandler extends ChannelInboundHandlerAdapter {
    private final ExchangeState state;
    private final InetSocketAddress target;
    private ChannelFuture lastWrite;

    ExchangeHandler(ExchangeState state, InetSocketAddress target) {
      this.state = state;
      this.target = target;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      TestRequest request = state.request;
      HttpRequest head =
          new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(request.method()), request.path());
      head.headers().set(HttpHeaderNames.HOST, target.getHostString() + ":" + target.getPort());
      if (request.framing() == Framing.CONTENT_LENGTH) {
        head.headers().set(HttpHeaderNames.CONTENT_LENGTH, request.body().length());
      } else {
        head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
      }
      for (Map.Entry<String, String> h : request.headers().entrySet()) {
        head.headers().set(h.getKey(), h.getValue());
      }
      lastWrite = ctx.write(head);
      if (request.gate() != null) {
        request.gate().attach(
            () -> ctx.executor().execute(() -> pump(ctx)),
            () -> ctx.executor().execute(() -> {
              state.clientAborted = true;
              ctx.channel().close();
            }));
      }
      pump(ctx);
      ctx.fireChannelActive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable()) {
        pump(ctx);
      }
      ctx.fireChannelWritabilityChanged();
    }

    /** Writes body chunks while the channel is writable, then the end of the request (or aborts). */
    private void pump(ChannelHandlerContext ctx) {
      TestRequest request = state.request;
      long toSend = request.bytesToSend();
      while (!state.requestDone && !state.clientAborted && !state.done() && ctx.channel().isWritable()) {
        if (request.pausedAt(state.bytesSent)) {
          ctx.flush();
          long at = state.bytesSent;
          lastWrite.addListener(f -> request.gate().markReached(at));
          return;
        }
        if (state.bytesSent < toSend) {
          long limit = request.gate() != null && !request.gate().isOpen() ? Math.min(toSend, request.gate().pauseAt()) : toSend;
          int n = (int) Math.min(CHUNK, limit - state.bytesSent);
          ByteBuf chunk = request.body().chunk(state.bytesSent, n);
          state.bytesSent += n;
          lastWrite = ctx.write(new DefaultHttpContent(chunk));
        } else if (request.aborts()) {
          state.clientAborted = true;
          // Close once everything written so far reached the socket (close() would drop queued writes).
          ctx.flush();
          lastWrite.addListener(ChannelFutureListener.CLOSE);
          return;
        } else {
          LastHttpContent last = new DefaultLastHttpContent();
          request.trailers().forEach((name, value) -> last.trailingHeaders().add(name, value));
          lastWrite = ctx.write(last);
          state.requestDone = true;
        }
      }
      ctx.flush();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof HttpObject object && object.decoderResult().isFailure()) {
          state.complete(
              TestResponse.Outcome.CONNECTION_CLOSED, "undecodable response: " + object.decoderResult().cause());
          return;
        }
        if (msg instanceof HttpResponse response) {
          int code = response.status().code();
          if (code >= 200) {
            state.status(code);
            response.headers().forEach(h -> state.header(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
          }
        }
        if (msg instanceof HttpContent content) {
          state.digest().update(content.content());
          if (content instanceof LastHttpContent last) {
            last.trailingHeaders().forEach(h -> state.trailer(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
            state.complete(TestResponse.Outcome.COMPLETE, "");
          }
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (state.clientAborted) {
        state.complete(TestResponse.Outcome.CLIENT_ABORTED, "client closed after " + state.bytesSent + " B");
      } else {
        state.complete(TestResponse.Outcome.CONNECTION_CLOSED, "connection closed before the response ended");
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      state.complete(
          state.clientAborted ? TestResponse.Outcome.CLIENT_ABORTED : TestResponse.Outcome.CONNECTION_CLOSED,
          cause.toString());
      ctx.close();
    }
  }
}
