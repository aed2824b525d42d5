package dev.extproc.echo;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** An HTTP/2 prior-knowledge client on Netty's frame codec, for tests. */
final class Http2TestClient implements AutoCloseable {

  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("h2-test-client"), NioIoHandler.newFactory());
  private final Channel connection;
  /** Bytes the client wrote to its socket (frames of every stream, preface included). */
  private final AtomicLong socketBytesWritten = new AtomicLong();

  Http2TestClient(int port) throws InterruptedException {
    connection =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(new ChannelOutboundHandlerAdapter() {
                          @Override
                          public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                            if (msg instanceof ByteBuf buf) {
                              socketBytesWritten.addAndGet(buf.readableBytes());
                            }
                            ctx.write(msg, promise);
                          }
                        })
                        .addLast(Http2FrameCodecBuilder.forClient().build())
                        .addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                  }
                })
            .connect("127.0.0.1", port)
            .sync()
            .channel();
  }

  /** Opens a stream and sends the request headers; the body follows with {@link Stream#write}. */
  Stream open(String method, String path, boolean endStream) throws InterruptedException {
    return open(method, path, endStream, true);
  }

  /** Like {@link #open(String, String, boolean)}; with {@code readResponse} false the response is not read. */
  Stream open(String method, String path, boolean endStream, boolean readResponse) throws InterruptedException {
    Stream stream = new Stream();
    Http2StreamChannel channel =
        new Http2StreamChannelBootstrap(connection)
            .option(ChannelOption.AUTO_READ, readResponse)
            .handler(stream.collector)
            .open()
            .sync()
            .getNow();
    stream.channel = channel;
    Http2Headers headers =
        new DefaultHttp2Headers()
            .method(method)
            .path(path)
            .scheme("http")
            .authority("127.0.0.1")
            .set("content-type", "application/octet-stream");
    channel.writeAndFlush(new DefaultHttp2HeadersFrame(headers, endStream)).sync();
    return stream;
  }

  /** Sends a whole POST in 16 KiB DATA frames, then optional trailers, and returns the stream. */
  Stream post(String path, byte[] body, Http2Headers trailers) throws InterruptedException {
    Stream stream = open("POST", path, body.length == 0 && trailers == null);
    for (int off = 0; off < body.length; off += 16384) {
      int len = Math.min(16384, body.length - off);
      boolean last = off + len == body.length && trailers == null;
      stream.write(body, off, len, last);
    }
    if (trailers != null) {
      stream.channel.writeAndFlush(new DefaultHttp2HeadersFrame(trailers, true));
    }
    return stream;
  }

  long socketBytesWritten() {
    return socketBytesWritten.get();
  }

  @Override
  public void close() {
    connection.close().syncUninterruptibly();
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** One request/response stream. */
  static final class Stream {
    final Collector collector = new Collector();
    Http2StreamChannel channel;

    void write(byte[] body, int offset, int length, boolean endStream) {
      channel.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(body, offset, length), endStream));
    }

    long receivedBytes() {
      return collector.received.get();
    }

    /** Starts reading the response (of a stream opened without reading it). */
    void readResponse() {
      channel.eventLoop().execute(() -> channel.config().setAutoRead(true));
    }

    /** Completes with the response once the stream ended, or exceptionally on a reset. */
    CompletableFuture<Response> response() {
      return collector.done;
    }
  }

  /** Collects one stream's response. Runs on the client's event loop. */
  static final class Collector extends SimpleChannelInboundHandler<Http2StreamFrame> {
    final CompletableFuture<Response> done = new CompletableFuture<>();
    final AtomicLong received = new AtomicLong();
    private final MessageDigest digest = TestBodies.sha256();
    private Http2Headers headers;
    private Http2Headers trailers;

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
      boolean end = false;
      if (frame instanceof Http2HeadersFrame h) {
        if (headers == null) {
          headers = h.headers();
        } else {
          trailers = h.headers();
        }
        end = h.isEndStream();
      } else if (frame instanceof Http2DataFrame d) {
        digest.update(d.content().nioBuffer());
        received.addAndGet(d.content().readableBytes());
        end = d.isEndStream();
      }
      if (end) {
        done.complete(
            new Response(headers, received.get(), HexFormat.of().formatHex(digest.digest()), trailers));
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof Http2ResetFrame reset) {
        done.completeExceptionally(new StreamResetException(reset.errorCode(), received.get()));
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      done.completeExceptionally(new IllegalStateException("stream closed without an end"));
      ctx.fireChannelInactive();
    }
  }

  record Response(Http2Headers headers, long bodyBytes, String sha256, Http2Headers trailers) {
    String status() {
      return headers.status().toString();
    }
  }

  /** The server reset the stream after {@code receivedBytes} body bytes. */
  static final class StreamResetException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final long errorCode;
    final long receivedBytes;

    StreamResetException(long errorCode, long receivedBytes) {
      super("stream reset: error code " + errorCode + " after " + receivedBytes + " body bytes");
      this.errorCode = errorCode;
      this.receivedBytes = receivedBytes;
    }
  }
}
