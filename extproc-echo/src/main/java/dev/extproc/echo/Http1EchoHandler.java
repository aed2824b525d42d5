package dev.extproc.echo;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Echoes HTTP/1.1 requests, one after the other on a keep-alive connection, by streaming each
 * body chunk back as it arrives (chunked response, or the request's own content-length).
 *
 * <p>Backpressure: {@code AUTO_READ} is off; the handler asks for the next read only when every
 * message received so far was written and the channel is writable, and resumes on {@link
 * #channelWritabilityChanged}. So at most one socket read's worth of messages waits here. Every
 * message is either passed on to the exchange (which then owns it) or released, on every path,
 * including when the connection closes.
 *
 * <p>Behind an {@code HttpObjectAggregator} (aggregating mode) the same handler answers each
 * {@code FullHttpRequest} with its body and a content-length.
 */
final class Http1EchoHandler extends PumpingEchoHandler {

  private static final Logger logger = LoggerFactory.getLogger(Http1EchoHandler.class);

  private final EffectPlan effects;
  /** Messages received and not yet handled; owned by this handler. */
  private final ArrayDeque<HttpObject> inbound = new ArrayDeque<>();

  private EchoExchange<HttpHeaders> exchange;
  /** True after a request answered without echo: its body messages are dropped until the last. */
  private boolean discardingBody;
  /** True once the connection is to be closed: nothing more is read or written. */
  private boolean closing;

  Http1EchoHandler(EffectPlan effects) {
    super(logger, "http1 connection");
    this.effects = effects;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing || !(msg instanceof HttpObject)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof FullHttpRequest full) {
      // Split so that the queue holds a head, then a last content owning the body.
      inbound.add(new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(), full.headers()));
      inbound.add(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
    } else {
      inbound.add((HttpObject) msg);
    }
    drain();
  }

  @Override
  void drainOnce() {
    if (exchange != null) {
      exchange.pump();
    }
    while (!closing && !inbound.isEmpty()) {
      HttpObject next = inbound.peek();
      if (exchange == null) {
        inbound.poll();
        if (discardingBody) {
          discardingBody = !(next instanceof LastHttpContent);
          ReferenceCountUtil.release(next);
        } else if (next instanceof HttpRequest request) {
          ReferenceCountUtil.release(request);
          begin(request);
        } else {
          ReferenceCountUtil.release(next); // content of no request: nothing to answer
        }
        continue;
      }
      if (!exchange.canAcceptBody()) {
        break;
      }
      inbound.poll();
      HttpContent content = (HttpContent) next;
      if (content.decoderResult().isFailure()) {
        content.release();
        logger.debug("echo http1 bad body channel={}", ctx.channel(), content.decoderResult().cause());
        closeNow();
        break;
      }
      if (content instanceof LastHttpContent last) {
        HttpHeaders trailers = last.trailingHeaders();
        if (content.content().isReadable()) {
          exchange.body(content.content()); // ownership of the message's buffer moves on
          inbound.addFirst(new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, trailers));
        } else {
          content.release();
          exchange.end(trailers);
        }
      } else {
        exchange.body(content.content());
      }
    }
    maybeRead();
  }

  @Override
  void maybeRead() {
    if (!closing
        && inbound.isEmpty()
        && ctx.channel().isWritable()
        && (exchange == null || exchange.canAcceptBody())) {
      ctx.read();
    }
  }

  private void begin(HttpRequest request) {
    if (request.decoderResult().isFailure()) {
      logger.debug("echo http1 bad request channel={}", ctx.channel(), request.decoderResult().cause());
      respondFull(request, HttpResponseStatus.BAD_REQUEST, "bad request\n", false);
      discardingBody = true;
      return;
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    boolean hasBody =
        HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
    HttpMethod method = request.method();
    if (!hasBody && (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method))) {
      String path = new QueryStringDecoder(request.uri()).path();
      respondFull(request, HttpResponseStatus.OK, "/healthz".equals(path) ? "ok" : "", keepAlive);
      discardingBody = true;
      return;
    }
    if (HttpUtil.is100ContinueExpected(request)) {
      ctx.writeAndFlush(
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
    }
    exchange = new EchoExchange<>(new Transport(request, keepAlive), effects);
    exchange.start();
  }

  private void respondFull(HttpRequest request, HttpResponseStatus status, String body, boolean keepAlive) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    boolean head = HttpMethod.HEAD.equals(request.method());
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            request.protocolVersion(), status, head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN);
    HttpUtil.setContentLength(response, bytes.length);
    HttpUtil.setKeepAlive(response, keepAlive);
    ChannelFuture written = ctx.writeAndFlush(response);
    if (!keepAlive) {
      closing = true;
      written.addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void closeNow() {
    closing = true;
    releaseAll();
    ctx.close();
  }

  @Override
  void releaseAll() {
    closing = true;
    if (exchange != null) {
      exchange.cancel();
      exchange = null;
    }
    HttpObject msg;
    while ((msg = inbound.poll()) != null) {
      ReferenceCountUtil.release(msg);
    }
  }

  /** Writes one exchange's response on this connection. */
  private final class Transport extends PumpingTransport<HttpHeaders> {
    private final HttpRequest request;
    private final boolean keepAlive;
    private final boolean chunked;

    Transport(HttpRequest request, boolean keepAlive) {
      this.request = request;
      boolean hasLength = HttpUtil.isContentLengthSet(request) && !HttpUtil.isTransferEncodingChunked(request);
      boolean http11 = request.protocolVersion().equals(HttpVersion.HTTP_1_1);
      this.chunked = !hasLength && http11;
      // HTTP/1.0 without a length: the response is delimited by closing the connection.
      this.keepAlive = keepAlive && (hasLength || http11);
    }

    @Override
    public void writeHead() {
      HttpResponse response = new DefaultHttpResponse(request.protocolVersion(), HttpResponseStatus.OK);
      String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
      if (contentType != null) {
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
      }
      // The echoed body keeps its encoding, so it must keep saying so.
      String contentEncoding = request.headers().get(HttpHeaderNames.CONTENT_ENCODING);
      if (contentEncoding != null) {
        response.headers().set(HttpHeaderNames.CONTENT_ENCODING, contentEncoding);
      }
      if (chunked) {
        HttpUtil.setTransferEncodingChunked(response, true);
      } else if (HttpUtil.isContentLengthSet(request)) {
        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, HttpUtil.getContentLength(request));
      }
      HttpUtil.setKeepAlive(response, keepAlive);
      lastWrite = ctx.writeAndFlush(response);
    }

    @Override
    public void writeBody(ByteBuf data) {
      lastWrite = ctx.writeAndFlush(new DefaultHttpContent(data));
    }

    @Override
    public void writeEnd(HttpHeaders trailers) {
      LastHttpContent last =
          chunked && trailers != null && !trailers.isEmpty()
              ? new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, trailers)
              : LastHttpContent.EMPTY_LAST_CONTENT;
      ChannelFuture written = ctx.writeAndFlush(last);
      exchange = null;
      if (!keepAlive) {
        closing = true;
        written.addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void reset() {
      // Close once what was written is on the wire, so the client gets exactly the echoed bytes.
      closing = true;
      closeAfterLastWrite();
    }
  }
}
