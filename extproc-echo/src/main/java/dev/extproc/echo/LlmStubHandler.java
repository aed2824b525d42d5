package dev.extproc.echo;

import com.google.protobuf.ByteString;
import dev.extproc.sse.LlmFormat;
import dev.extproc.sse.SyntheticLlmStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One connection of the {@link LlmStubServer}. Reads a request (its body is discarded), then
 * streams the synthetic answer: one event per tick of the rate, each written only while the
 * channel is writable. Runs on the connection's event loop only.
 */
final class LlmStubHandler extends ChannelInboundHandlerAdapter {
  private enum State { READING_REQUEST, STREAMING, DONE }

  private final LlmStubServer.Settings settings;
  /** This answer's pace and length: the settings', or the request's {@code rate} and {@code events} query parameters. */
  private long intervalNanos;
  private int events;
  private String badQuery;
  private State state = State.READING_REQUEST;
  private boolean keepAlive;
  private boolean answerStream;
  /** The request said {@code te: trailers}: the stream ends with trailer {@link LlmStubServer#EVENTS_TRAILER}. */
  private boolean trailers;
  private LlmFormat format;
  private String lastSegment = "";
  private SyntheticLlmStream stream;
  private long nextDueNanos;
  private boolean writeScheduled;
  private final java.util.Random splits;

  LlmStubHandler(LlmStubServer.Settings settings) {
    this.settings = settings;
    this.splits = settings.splitSeed() == 0 ? null : new java.util.Random(settings.splitSeed());
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof HttpRequest request) {
        keepAlive = HttpUtil.isKeepAlive(request);
        answerStream = request.method().equals(HttpMethod.POST);
        trailers = request.headers().containsValue(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS, true);
        format = formatOf(request.uri(), settings.format());
        readQuery(request.uri());
        String path = request.uri().split("\\?", 2)[0];
        lastSegment = path.substring(path.lastIndexOf('/') + 1);
      }
      if (msg instanceof LastHttpContent && state == State.READING_REQUEST) {
        respond(ctx);
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  /** Reads the optional {@code events} (>= 0) and {@code rate} (events per second, 0 = unpaced) query parameters. */
  private void readQuery(String uri) {
    double rate = settings.ratePerSecond();
    events = settings.events();
    badQuery = null;
    java.util.Map<String, java.util.List<String>> query = new io.netty.handler.codec.http.QueryStringDecoder(uri).parameters();
    try {
      if (query.containsKey("events")) {
        events = Integer.parseInt(query.get("events").get(0));
      }
      if (query.containsKey("rate")) {
        rate = Double.parseDouble(query.get("rate").get(0));
      }
    } catch (NumberFormatException e) {
      events = -1;
    }
    if (events < 0 || !(rate >= 0) || Double.isInfinite(rate)) {
      badQuery = "bad query " + uri + " (expected: events=N with N >= 0, rate=R events per second with R >= 0)\n";
    }
    intervalNanos = rate == 0 ? 0 : (long) (1e9 / rate);
  }

  private void respond(ChannelHandlerContext ctx) {
    if (badQuery != null) {
      FullHttpResponse bad = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
          Unpooled.copiedBuffer(badQuery, StandardCharsets.UTF_8));
      HttpUtil.setContentLength(bad, bad.content().readableBytes());
      ctx.writeAndFlush(bad).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    if (answerStream && (lastSegment.equals("json") || lastSegment.equals("media"))) {
      respondWhole(ctx, lastSegment.equals("json"));
      return;
    }
    if (!answerStream) {
      FullHttpResponse ok = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
          Unpooled.copiedBuffer("ok\n", StandardCharsets.US_ASCII));
      HttpUtil.setContentLength(ok, ok.content().readableBytes());
      HttpUtil.setKeepAlive(ok, keepAlive);
      ctx.writeAndFlush(ok).addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
      return;
    }
    state = State.STREAMING;
    stream = new SyntheticLlmStream(format, settings.model(), events, settings.inputTokens());
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
    head.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
    HttpUtil.setTransferEncodingChunked(head, true);
    HttpUtil.setKeepAlive(head, keepAlive);
    ctx.write(head);
    nextDueNanos = System.nanoTime();
    writeMore(ctx);
  }

  /**
   * A whole answer instead of a stream: {@code /json}, a non-streaming chat completion with its usage
   * ({@code application/json}); {@code /media}, 256 KiB of opaque bytes ({@code application/octet-stream}).
   */
  private void respondWhole(ChannelHandlerContext ctx, boolean json) {
    io.netty.buffer.ByteBuf body;
    if (json) {
      long output = events;
      body = Unpooled.copiedBuffer("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"" + settings.model()
          + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
          + "\"usage\":{\"prompt_tokens\":" + settings.inputTokens() + ",\"completion_tokens\":" + output
          + ",\"total_tokens\":" + (settings.inputTokens() + output) + "}}", StandardCharsets.UTF_8);
    } else {
      byte[] bytes = new byte[256 * 1024];
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) (i * 31 + 7);
      }
      body = Unpooled.wrappedBuffer(bytes);
    }
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, json ? "application/json" : "application/octet-stream");
    HttpUtil.setContentLength(response, body.readableBytes());
    HttpUtil.setKeepAlive(response, keepAlive);
    ctx.writeAndFlush(response).addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
  }

  /** Writes the events that are due while the channel is writable; schedules itself for the next tick. */
  private void writeMore(ChannelHandlerContext ctx) {
    writeScheduled = false;
    while (state == State.STREAMING && ctx.channel().isWritable()) {
      long now = System.nanoTime();
      if (intervalNanos > 0 && now < nextDueNanos) {
        ctx.flush();
        writeScheduled = true;
        ctx.executor().schedule(() -> writeMore(ctx), nextDueNanos - now, TimeUnit.NANOSECONDS);
        return;
      }
      if (!stream.hasNext()) {
        state = State.DONE;
        LastHttpContent end = LastHttpContent.EMPTY_LAST_CONTENT;
        if (trailers) {
          end = new io.netty.handler.codec.http.DefaultLastHttpContent();
          end.trailingHeaders().set(LlmStubServer.EVENTS_TRAILER, Integer.toString(events));
        }
        ctx.writeAndFlush(end)
            .addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
        if (keepAlive) {
          state = State.READING_REQUEST;
        }
        return;
      }
      ByteString block = stream.nextBlock();
      if (splits == null) {
        ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(block.asReadOnlyByteBuffer())));
      } else {
        for (int at = 0; at < block.size(); ) {
          int end = Math.min(block.size(), at + 1 + splits.nextInt(512));
          ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(block.substring(at, end).asReadOnlyByteBuffer())));
          at = end;
        }
      }
      nextDueNanos += intervalNanos;
    }
    ctx.flush();
  }

  /** A path whose last segment names a format ({@code /v1/anthropic}) asks for it; otherwise the default. */
  static LlmFormat formatOf(String uri, LlmFormat otherwise) {
    String path = uri.split("\\?", 2)[0];
    String last = path.substring(path.lastIndexOf('/') + 1);
    for (LlmFormat candidate : LlmFormat.values()) {
      if (candidate.flag().equals(last)) {
        return candidate;
      }
    }
    return otherwise;
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable() && state == State.STREAMING && !writeScheduled) {
      writeMore(ctx);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
