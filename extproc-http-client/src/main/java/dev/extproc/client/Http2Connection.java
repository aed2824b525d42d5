package dev.extproc.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/2 cleartext connection: one stream per exchange, DATA written only while the stream's
 * flow-control window allows, optional trailers. The connection handler sees GOAWAY; each stream
 * handler records its response.
 */
final class Http2Connection extends ChannelInboundHandlerAdapter implements Connection {

  private final Channel channel;
  private final ByteCounter counter;
  private final boolean ownedByExchange;
  /** Set on the event loop when a GOAWAY arrives, for the message of streams that end after it. */
  private volatile String goAway = "";
  /** Streams whose response reading is held until {@link #resumeReading()}; event loop only. */
  private final Set<Channel> pausedStreams = new HashSet<>();

  Http2Connection(Channel channel, ByteCounter counter, boolean ownedByExchange) {
    this.channel = channel;
    this.counter = counter;
    this.ownedByExchange = ownedByExchange;
  }

  @Override
  public HttpProtocol protocol() {
    return HttpProtocol.HTTP_2;
  }

  @Override
  public Exchange start(Request request, boolean readResponse) {
    return start(new Exchange(request), readResponse);
  }

  /** Starts {@code exchange} on this connection; returns it. */
  Exchange start(Exchange exchange, boolean readResponse) {
    Request request = exchange.request();
    RequestBody.Reader reader;
    try {
      reader = request.body().open();
    } catch (IOException e) {
      exchange.complete(Response.Outcome.CONNECTION_CLOSED, "opening the request body failed: " + e);
      return exchange;
    }
    StreamHandler handler = new StreamHandler(exchange, reader);
    channel.eventLoop().execute(() -> {
      var timer = channel.eventLoop().schedule(exchange::timeOut, request.timeout().toMillis(), TimeUnit.MILLISECONDS);
      exchange.onEnd(response -> {
        timer.cancel(false);
        reader.close();
        handler.closeStream();
        if (ownedByExchange) {
          channel.close();
        }
      });
      if (!channel.isActive()) {
        exchange.complete(Response.Outcome.CONNECTION_CLOSED, "connection closed before the exchange started" + goAway);
        return;
      }
      new Http2StreamChannelBootstrap(channel)
          .option(ChannelOption.AUTO_READ, readResponse)
          .handler(handler)
          .open()
          .addListener(opened -> {
            if (!opened.isSuccess()) {
              exchange.complete(Response.Outcome.CONNECTION_CLOSED, "opening an HTTP/2 stream failed: " + opened.cause());
            }
          });
    });
    return exchange;
  }

  @Override
  public void resumeReading() {
    channel.eventLoop().execute(() -> {
      for (Channel stream : pausedStreams) {
        stream.config().setAutoRead(true);
        stream.read();
      }
      pausedStreams.clear();
    });
  }

  @Override
  public boolean isOpen() {
    return channel.isOpen();
  }

  @Override
  public long socketBytesWritten() {
    return counter.written();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
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
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close(); // every stream then ends with channelInactive
  }

  /** Writes the request on its stream as flow control allows and records the response. */
  private final class StreamHandler extends ChannelInboundHandlerAdapter {
    private final Exchange exchange;
    private final RequestBody.Reader reader;
    private Http2StreamChannel stream;
    private Pump pump;
    private boolean responseHeadersSeen;

    StreamHandler(Exchange exchange, RequestBody.Reader reader) {
      this.exchange = exchange;
      this.reader = reader;
    }

    void closeStream() {
      if (stream != null) {
        pausedStreams.remove(stream);
        stream.close(); // a RST_STREAM(CANCEL) if the stream is still open
      }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      stream = (Http2StreamChannel) ctx.channel();
      if (!stream.config().isAutoRead()) {
        pausedStreams.add(stream);
      }
      pump = new Pump(stream);
      exchange.onAbort(() -> stream.eventLoop().execute(pump::abortNow));
      pump.start();
      ctx.fireChannelActive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable()) {
        pump.pump();
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame frame) {
          if (!responseHeadersSeen) {
            int code = Integer.parseInt(String.valueOf(frame.headers().status()));
            if (code >= 200) {
              responseHeadersSeen = true;
              exchange.status(code);
              frame.headers().forEach(h -> {
                if (h.getKey().charAt(0) != ':') {
                  exchange.header(h.getKey().toString(), h.getValue().toString());
                }
              });
            }
          } else {
            frame.headers().forEach(h -> exchange.trailer(h.getKey().toString(), h.getValue().toString()));
          }
          if (frame.isEndStream()) {
            exchange.complete(Response.Outcome.COMPLETE, "");
          }
        } else if (msg instanceof Http2DataFrame frame) {
          exchange.data(frame.content());
          if (frame.isEndStream()) {
            exchange.complete(Response.Outcome.COMPLETE, "");
          }
        } else if (msg instanceof Http2ResetFrame frame) {
          exchange.complete(Response.Outcome.RESET, "RST_STREAM " + Http2Error.valueOf(frame.errorCode()));
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    /** Netty's multiplexer hands a received RST_STREAM to the stream as a user event, not as a read. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (event instanceof Http2ResetFrame frame) {
        exchange.complete(Response.Outcome.RESET, "RST_STREAM " + Http2Error.valueOf(frame.errorCode()));
      }
      ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      exchange.closed((channel.isActive() ? "stream closed" : "connection closed") + " before the response ended" + goAway);
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      exchange.closed(cause.toString());
      ctx.close();
    }

    /** Writes one request as HTTP/2 frames on its stream. */
    private final class Pump extends BodyPump {
      Pump(Http2StreamChannel stream) {
        super(StreamHandler.this.exchange, stream, StreamHandler.this.reader);
      }

      @Override
      ChannelFuture writeHead(boolean endOfRequest) {
        Request request = exchange.request();
        InetSocketAddress remote = (InetSocketAddress) Http2Connection.this.channel.remoteAddress();
        Http2Headers headers = new DefaultHttp2Headers()
            .method(request.method())
            .scheme("http")
            .path(request.path())
            .authority(remote.getHostString() + ":" + remote.getPort());
        if (request.framing() == BodyFraming.CONTENT_LENGTH
            && (request.body().length() > 0 || !request.method().equals("GET") && !request.method().equals("HEAD"))) {
          headers.setLong("content-length", request.body().length());
        }
        request.headers().forEach(headers::set);
        return channel.write(new DefaultHttp2HeadersFrame(headers, endOfRequest));
      }

      @Override
      ChannelFuture writeData(ByteBuf chunk, boolean last) {
        return channel.write(new DefaultHttp2DataFrame(chunk, last));
      }

      @Override
      ChannelFuture writeEnd() {
        Request request = exchange.request();
        if (request.trailers().isEmpty()) {
          return channel.write(new DefaultHttp2DataFrame(true)); // a zero-length body ends here
        }
        Http2Headers trailers = new DefaultHttp2Headers();
        request.trailers().forEach(trailers::add);
        return channel.write(new DefaultHttp2HeadersFrame(trailers, true));
      }

      @Override
      void abortAfter(ChannelFuture lastWrite) {
        // A connection the exchange owns goes away whole (the client is gone); on a shared one only
        // the stream is reset.
        Channel target = ownedByExchange ? Http2Connection.this.channel : channel;
        lastWrite.addListener(f -> target.close());
      }

      @Override
      boolean endsWithHead() {
        return true;
      }
    }
  }
}
