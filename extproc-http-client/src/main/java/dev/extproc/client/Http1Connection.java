package dev.extproc.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
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
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/1.1 connection: one exchange at a time; the response is read while the request is still
 * being written, so a backend that echoes as the body arrives cannot deadlock the client. After an
 * exchange that ended cleanly (whole request written, whole response read) the connection carries
 * the next one; after any other end it is closed. A response with {@code connection: close} leaves
 * the closing to the server, as HTTP/1.1 says it will.
 */
final class Http1Connection extends ChannelInboundHandlerAdapter implements Connection {

  private final Channel channel;
  private final ByteCounter counter;
  private final boolean ownedByExchange;
  /** The exchange under way; touched on the event loop, read elsewhere only to refuse a second one. */
  private volatile Pump current;
  /** True between a 1xx response head and its end: that response is skipped. */
  private boolean informational;

  Http1Connection(Channel channel, ByteCounter counter, boolean ownedByExchange) {
    this.channel = channel;
    this.counter = counter;
    this.ownedByExchange = ownedByExchange;
  }

  @Override
  public HttpProtocol protocol() {
    return HttpProtocol.HTTP_1_1;
  }

  @Override
  public Exchange start(Request request, boolean readResponse) {
    return start(new Exchange(request), readResponse);
  }

  /** Starts {@code exchange} on this connection; returns it. */
  Exchange start(Exchange exchange, boolean readResponse) {
    Request request = exchange.request();
    if (current != null) {
      throw new IllegalStateException("an HTTP/1.1 exchange is still under way on " + channel);
    }
    RequestBody.Reader reader;
    try {
      reader = request.body().open();
    } catch (IOException e) {
      exchange.complete(Response.Outcome.CONNECTION_CLOSED, "opening the request body failed: " + e);
      return exchange;
    }
    Pump pump = new Pump(exchange, reader);
    current = pump;
    exchange.onAbort(() -> channel.eventLoop().execute(pump::abortNow));
    channel.eventLoop().execute(() -> {
      if (!channel.isActive()) {
        exchange.complete(Response.Outcome.CONNECTION_CLOSED, "connection closed before the exchange started");
        return;
      }
      channel.config().setAutoRead(readResponse);
      var timer = channel.eventLoop().schedule(exchange::timeOut, request.timeout().toMillis(), TimeUnit.MILLISECONDS);
      exchange.onEnd(response -> {
        timer.cancel(false);
        pump.release();
        boolean reusable = response != null && response.outcome() == Response.Outcome.COMPLETE && exchange.requestDone
            && !ownedByExchange;
        current = null;
        if (!reusable) {
          channel.close();
        }
      });
      pump.start();
    });
    return exchange;
  }

  @Override
  public void resumeReading() {
    channel.eventLoop().execute(() -> {
      channel.config().setAutoRead(true);
      channel.read();
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
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Pump pump = current;
    if (pump != null && ctx.channel().isWritable()) {
      pump.pump();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      Pump pump = current;
      if (pump == null || pump.exchange.isDone()) {
        return; // nothing asked for it: dropped (the connection is closed when an exchange ends unclean)
      }
      Exchange exchange = pump.exchange;
      if (msg instanceof HttpObject object && object.decoderResult().isFailure()) {
        exchange.complete(Response.Outcome.CONNECTION_CLOSED, "undecodable response: " + object.decoderResult().cause());
        return;
      }
      if (msg instanceof HttpResponse response) {
        int code = response.status().code();
        informational = code < 200;
        if (!informational) {
          exchange.status(code);
          response.headers().forEach(h -> exchange.header(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
        }
      }
      if (msg instanceof HttpContent content && !informational) {
        exchange.data(content.content());
        if (content instanceof LastHttpContent last) {
          last.trailingHeaders().forEach(h -> exchange.trailer(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
          exchange.complete(Response.Outcome.COMPLETE, "");
        }
      } else if (msg instanceof LastHttpContent) {
        informational = false; // the end of a 1xx response: the final one follows
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Pump pump = current;
    if (pump != null) {
      pump.exchange.closed("connection closed before the response ended");
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Pump pump = current;
    if (pump != null) {
      pump.exchange.closed(cause.toString());
    }
    ctx.close();
  }

  /** Writes one request as HTTP/1.1 messages. */
  private final class Pump extends BodyPump {
    Pump(Exchange exchange, RequestBody.Reader reader) {
      super(exchange, Http1Connection.this.channel, reader);
    }

    @Override
    ChannelFuture writeHead(boolean endOfRequest) {
      Request request = exchange.request();
      HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(request.method()), request.path());
      var remote = (java.net.InetSocketAddress) channel.remoteAddress();
      head.headers().set(HttpHeaderNames.HOST, remote.getHostString() + ":" + remote.getPort());
      boolean hasBody = request.body().length() > 0 || request.framing() == BodyFraming.CHUNKED
          || !request.method().equals("GET") && !request.method().equals("HEAD");
      if (request.framing() == BodyFraming.CHUNKED) {
        head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
      } else if (hasBody) {
        head.headers().set(HttpHeaderNames.CONTENT_LENGTH, request.body().length());
      }
      request.headers().forEach((name, value) -> head.headers().set(name, value));
      return channel.write(head);
    }

    @Override
    ChannelFuture writeData(ByteBuf chunk, boolean last) {
      return channel.write(last ? new DefaultLastHttpContent(chunk) : new DefaultHttpContent(chunk));
    }

    @Override
    ChannelFuture writeEnd() {
      LastHttpContent last = new DefaultLastHttpContent();
      exchange.request().trailers().forEach((name, value) -> last.trailingHeaders().add(name, value));
      return channel.write(last);
    }

    @Override
    void abortAfter(ChannelFuture lastWrite) {
      // Close once everything written so far reached the socket (close() would drop queued writes).
      lastWrite.addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    boolean endsWithHead() {
      return false;
    }
  }
}
