package dev.extproc.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Serves one admin connection. Runs on the connection's event loop only. A deadline is armed when
 * the connection opens and after each response; a complete request disarms it; when it fires the
 * connection is closed (a client that sent half a request, or nothing, for too long).
 */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final String TEXT = "text/plain; charset=utf-8";
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final AdminEndpoints endpoints;
  private final long timeoutNanos;
  private ScheduledFuture<?> deadline;

  AdminHandler(AdminEndpoints endpoints, long timeoutNanos) {
    this.endpoints = endpoints;
    this.timeoutNanos = timeoutNanos;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    arm(ctx);
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    disarm();
    super.channelInactive(ctx);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    disarm();
    if (!request.decoderResult().isSuccess()) {
      respond(ctx, request, HttpResponseStatus.BAD_REQUEST, TEXT, "bad request\n", false);
      return;
    }
    String path = new QueryStringDecoder(request.uri()).path();
    boolean known = path.equals("/healthz") || path.equals("/stats") || path.equals("/metrics");
    if (!known) {
      respond(ctx, request, HttpResponseStatus.NOT_FOUND, TEXT, "not found\n", true);
      return;
    }
    HttpMethod method = request.method();
    if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
      FullHttpResponse response = response(request, HttpResponseStatus.METHOD_NOT_ALLOWED, TEXT, "method not allowed\n");
      response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
      send(ctx, request, response, true);
      return;
    }
    switch (path) {
      case "/healthz" -> {
        boolean draining = endpoints.draining();
        respond(ctx, request, draining ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.OK, TEXT,
            draining ? "draining" : "ok", true);
      }
      case "/stats" -> respond(ctx, request, HttpResponseStatus.OK, "application/json", endpoints.statsJson(), true);
      default -> respond(ctx, request, HttpResponseStatus.OK, PROMETHEUS_TEXT, endpoints.metricsText(), true);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A reset or a protocol error of one client: close its connection, nothing else to do.
    ctx.close();
  }

  private void respond(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status, String type,
      String body, boolean keepAliveAllowed) {
    send(ctx, request, response(request, status, type, body), keepAliveAllowed);
  }

  private static FullHttpResponse response(FullHttpRequest request, HttpResponseStatus status, String type, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    boolean head = request.method().equals(HttpMethod.HEAD);
    ByteBuf content = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    return response;
  }

  private void send(ChannelHandlerContext ctx, FullHttpRequest request, FullHttpResponse response,
      boolean keepAliveAllowed) {
    boolean keepAlive = keepAliveAllowed && HttpUtil.isKeepAlive(request);
    if (!keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    ctx.writeAndFlush(response);
    arm(ctx);
  }

  private void arm(ChannelHandlerContext ctx) {
    disarm();
    deadline = ctx.executor().schedule(() -> {
      ctx.close();
    }, timeoutNanos, TimeUnit.NANOSECONDS);
  }

  private void disarm() {
    if (deadline != null) {
      deadline.cancel(false);
      deadline = null;
    }
  }
}
