package dev.extproc.echo;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Echoes one HTTP/2 stream: response headers as soon as the request headers arrive, then each
 * DATA frame back as it arrives, then the request trailers as response trailers.
 *
 * <p>Flow control: the stream channel does not read automatically, and a read is requested only
 * when the frames read so far were written and the stream is writable (the client's window and
 * the connection allow it). The frame codec returns window to the client only for frames read,
 * so a client cannot send much more than the echo has written back. Every frame is either passed
 * on to the exchange or released, also when the stream is reset or the connection closes.
 */
final class Http2EchoStreamHandler extends PumpingEchoHandler {

  private static final Logger logger = LoggerFactory.getLogger(Http2EchoStreamHandler.class);

  private final EffectPlan effects;
  /** Frames read and not yet handled; owned by this handler. */
  private final ArrayDeque<Http2StreamFrame> inbound = new ArrayDeque<>();

  private EchoExchange<Http2Headers> exchange;
  private boolean headersSeen;
  /** True once the response is complete or aborted: later frames are dropped. */
  private boolean finished;

  Http2EchoStreamHandler(EffectPlan effects) {
    super(logger, "http2 stream");
    this.effects = effects;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    super.handlerAdded(ctx);
    if (ctx.channel().isActive()) {
      ctx.read();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.read();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (finished || !(msg instanceof Http2StreamFrame frame)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    inbound.add(frame);
    drain();
  }

  @Override
  void drainOnce() {
    if (exchange != null) {
      exchange.pump();
    }
    while (!finished && !inbound.isEmpty()) {
      Http2StreamFrame next = inbound.peek();
      if (!headersSeen) {
        inbound.poll();
        if (next instanceof Http2HeadersFrame headers) {
          headersSeen = true;
          begin(headers);
        } else {
          ReferenceCountUtil.release(next);
          resetStream();
        }
        continue;
      }
      if (exchange == null || !exchange.canAcceptBody()) {
        break;
      }
      inbound.poll();
      if (next instanceof Http2DataFrame data) {
        boolean endStream = data.isEndStream();
        exchange.body(data.content()); // ownership of the frame's buffer moves on
        if (endStream) {
          inbound.addFirst(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers(), true));
        }
      } else if (next instanceof Http2HeadersFrame trailers) {
        exchange.end(trailers.headers().isEmpty() ? null : trailers.headers());
      } else {
        ReferenceCountUtil.release(next); // e.g. a window update or priority frame
      }
    }
    maybeRead();
  }

  @Override
  void maybeRead() {
    if (!finished
        && inbound.isEmpty()
        && ctx.channel().isWritable()
        && (exchange == null || exchange.canAcceptBody())) {
      ctx.read();
    }
  }

  private void begin(Http2HeadersFrame frame) {
    Http2Headers request = frame.headers();
    CharSequence method = request.method();
    boolean getOrHead =
        method != null
            && (HttpMethod.GET.asciiName().contentEquals(method) || HttpMethod.HEAD.asciiName().contentEquals(method));
    if (frame.isEndStream() && getOrHead) {
      String path = request.path() == null ? "/" : new QueryStringDecoder(request.path().toString()).path();
      byte[] body = "/healthz".equals(path) ? new byte[] {'o', 'k'} : new byte[0];
      Http2Headers response = new DefaultHttp2Headers().status(HttpResponseStatus.OK.codeAsText());
      response.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN);
      response.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
      boolean head = HttpMethod.HEAD.asciiName().contentEquals(method);
      finished = true;
      if (head || body.length == 0) {
        ctx.writeAndFlush(new DefaultHttp2HeadersFrame(response, true));
      } else {
        ctx.write(new DefaultHttp2HeadersFrame(response, false));
        ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body), true));
      }
      return;
    }
    exchange = new EchoExchange<>(new Transport(request), effects);
    exchange.start();
    if (frame.isEndStream()) {
      inbound.addFirst(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers(), true));
    }
  }

  private void resetStream() {
    finished = true;
    releaseAll();
    ctx.close(); // RST_STREAM(CANCEL)
  }

  @Override
  void releaseAll() {
    if (exchange != null) {
      exchange.cancel();
    }
    Http2StreamFrame frame;
    while ((frame = inbound.poll()) != null) {
      ReferenceCountUtil.release(frame);
    }
  }

  /** Writes the stream's response. */
  private final class Transport extends PumpingTransport<Http2Headers> {
    private final Http2Headers request;

    Transport(Http2Headers request) {
      this.request = request;
    }

    @Override
    public void writeHead() {
      Http2Headers response = new DefaultHttp2Headers().status(HttpResponseStatus.OK.codeAsText());
      CharSequence contentType = request.get(HttpHeaderNames.CONTENT_TYPE);
      if (contentType != null) {
        response.set(HttpHeaderNames.CONTENT_TYPE, contentType);
      }
      // The echoed body keeps its encoding, so it must keep saying so.
      CharSequence contentEncoding = request.get(HttpHeaderNames.CONTENT_ENCODING);
      if (contentEncoding != null) {
        response.set(HttpHeaderNames.CONTENT_ENCODING, contentEncoding);
      }
      CharSequence contentLength = request.get(HttpHeaderNames.CONTENT_LENGTH);
      if (contentLength != null) {
        response.set(HttpHeaderNames.CONTENT_LENGTH, contentLength);
      }
      lastWrite = ctx.writeAndFlush(new DefaultHttp2HeadersFrame(response, false));
    }

    @Override
    public void writeBody(ByteBuf data) {
      lastWrite = ctx.writeAndFlush(new DefaultHttp2DataFrame(data, false));
    }

    @Override
    public void writeEnd(Http2Headers trailers) {
      finished = true;
      if (trailers != null) {
        ctx.writeAndFlush(new DefaultHttp2HeadersFrame(trailers, true));
      } else {
        ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.EMPTY_BUFFER, true));
      }
    }

    @Override
    public void reset() {
      // Closing an open stream channel makes Netty send RST_STREAM(CANCEL) and release what the
      // channel still buffers; wait for the echoed bytes to be written first.
      finished = true;
      closeAfterLastWrite();
    }
  }
}
