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
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/2 cleartext (prior knowledge) {@link TestHttpClient} on Netty: one connection and one
 * stream per exchange, DATA frames paced by HTTP/2 flow control, optional trailers.
 */
final class Http2TestClient implements TestHttpClient {

  /** Bytes per DATA write (Netty splits them into frames of the peer's max frame size). */
  static final int CHUNK = 32 * 1024;
  /** Receive windows, large enough that a 16 MiB echo streams without many round trips. */
  static final int STREAM_WINDOW = 1024 * 1024;
  static final int CONNECTION_WINDOW = 4 * 1024 * 1024;

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

  @Override
  public Protocol protocol() {
    return Protocol.HTTP_2;
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
                    ch.pipeline()
                        .addLast(
                            Http2FrameCodecBuilder.forClient()
                                .initialSettings(Http2Settings.defaultSettings().initialWindowSize(STREAM_WINDOW))
                                .build(),
                            new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
                            new ConnectionHandler(state));
                  }
                });
    ChannelFuture connect = bootstrap.connect(target);
    Channel connection = connect.channel();
    connect.addListener(
        (ChannelFutureListener) f -> {
          if (!f.isSuccess()) {
            state.complete(TestResponse.Outcome.CONNECTION_CLOSED, "connect to " + target + " failed: " + f.cause());
            return;
          }
          // A null stream means the connection window (Http2FrameCodec contract).
          connection.writeAndFlush(new DefaultHttp2WindowUpdateFrame(CONNECTION_WINDOW - 65_535));
          new Http2StreamChannelBootstrap(connection)
              .handler(new StreamHandler(state, target))
              .open()
              .addListener(
                  opened -> {
                    if (!opened.isSuccess()) {
                      state.complete(
                          TestResponse.Outcome.CONNECTION_CLOSED, "opening an HTTP/2 stream failed: " + opened.cause());
                    }
                  });
        });
    ScheduledFuture<?> timer =
        connection.eventLoop().schedule(state::timeOut, request.timeout().toMillis(), TimeUnit.MILLISECONDS);
    state.result.whenComplete(
        (response, failure) -> {
          timer.cancel(false);
          connection.close();
        });
    return state.result;
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Sees connection-level events: GOAWAY and the connection closing. */
  private static final class ConnectionHandler extends ChannelInboundHandlerAdapter {
    private final ExchangeState state;
    private String goAway = "";

    ConnectionHandler(ExchangeState state) {
      this.state = state;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2GoAwayFrame frame) {
          goAway = ", after GOAWAY " + Http2Error.valueOf(frame.errorCode());
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
        state.complete(TestResponse.Outcome.CONNECTION_CLOSED, "connection closed before the response ended" + goAway);
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

  /** Writes the request on its stream as flow control allows and records the response. */
  private static final class StreamHandler extends ChannelInboundHandlerAdapter {
    private final ExchangeState state;
    private final InetSocketAddress target;
    private ChannelFuture lastWrite;
    private boolean responseHeadersSeen;

    StreamHandler(ExchangeState state, InetSocketAddress target) {
      this.state = state;
      this.target = target;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      TestRequest request = state.request;
      Http2Headers headers =
          new DefaultHttp2Headers()
              .method(request.method())
              .scheme("http")
              .path(request.path())
              .authority(target.getHostString() + ":" + target.getPort());
      if (request.framing() == Framing.CONTENT_LENGTH) {
        headers.setLong("content-length", request.body().length());
      }
      for (Map.Entry<String, String> h : request.headers().entrySet()) {
        headers.set(h.getKey(), h.getValue());
      }
      boolean endStream =
          request.body().length() == 0 && request.trailers().isEmpty() && !request.aborts() && request.gate() == null;
      lastWrite = ctx.write(new DefaultHttp2HeadersFrame(headers, endStream));
      state.requestDone = endStream;
      if (request.gate() != null) {
        request.gate().attach(
            () -> ctx.executor().execute(() -> pump(ctx)),
            () -> ctx.executor().execute(() -> {
              state.clientAborted = true;
              ((Http2StreamChannel) ctx.channel()).parent().close();
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

    /** Writes DATA while the stream is writable (flow-control window), then trailers or the end. */
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
          boolean endStream = !request.aborts() && state.bytesSent == toSend && request.trailers().isEmpty()
              && !request.pausedAt(state.bytesSent);
          lastWrite = ctx.write(new DefaultHttp2DataFrame(chunk, endStream));
          state.requestDone = endStream;
        } else if (request.aborts()) {
          state.clientAborted = true;
          ctx.flush();
          Channel connection = ((Http2StreamChannel) ctx.channel()).parent();
          lastWrite.addListener(f -> connection.close());
          return;
        } else if (!request.trailers().isEmpty()) {
          Http2Headers trailers = new DefaultHttp2Headers();
          request.trailers().forEach(trailers::add);
          lastWrite = ctx.write(new DefaultHttp2HeadersFrame(trailers, true));
          state.requestDone = true;
        } else {
          // A zero-length body with no trailers ended with the headers.
          lastWrite = ctx.write(new DefaultHttp2DataFrame(true));
          state.requestDone = true;
        }
      }
      ctx.flush();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame frame) {
          if (!responseHeadersSeen) {
            int code = Integer.parseInt(String.valueOf(frame.headers().status()));
            if (code >= 200) {
              responseHeadersSeen = true;
              state.status(code);
              frame.headers().forEach(h -> {
                if (h.getKey().charAt(0) != ':') {
                  state.header(h.getKey().toString(), h.getValue().toString());
                }
              });
            }
          } else {
            frame.headers().forEach(h -> state.trailer(h.getKey().toString(), h.getValue().toString()));
          }
          if (frame.isEndStream()) {
            state.complete(TestResponse.Outcome.COMPLETE, "");
          }
        } else if (msg instanceof Http2DataFrame frame) {
          state.digest().update(frame.content());
          if (frame.isEndStream()) {
            state.complete(TestResponse.Outcome.COMPLETE, "");
          }
        } else if (msg instanceof Http2ResetFrame frame) {
          state.complete(TestResponse.Outcome.RESET, "RST_STREAM " + Http2Error.valueOf(frame.errorCode()));
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    /** Netty's multiplexer hands a received RST_STREAM to the stream as a user event, not as a read. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (event instanceof Http2ResetFrame frame) {
        state.complete(TestResponse.Outcome.RESET, "RST_STREAM " + Http2Error.valueOf(frame.errorCode()));
      }
      ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      state.complete(
          state.clientAborted ? TestResponse.Outcome.CLIENT_ABORTED : TestResponse.Outcome.CONNECTION_CLOSED,
          state.clientAborted ? "client closed after " + state.bytesSent + " B" : "stream closed before the response ended");
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
