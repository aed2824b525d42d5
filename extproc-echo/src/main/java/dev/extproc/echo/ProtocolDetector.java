package dev.extproc.echo;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import java.util.List;

/**
 * Tells HTTP/2 with prior knowledge (the connection preface {@code PRI * HTTP/2.0...}) from
 * HTTP/1.1 by the first bytes of a connection, installs the matching pipeline and removes itself
 * (the bytes read so far go on to the new pipeline).
 *
 * <p>HTTP/1.1: {@code HttpServerCodec} [→ {@code HttpObjectAggregator} in aggregating mode] →
 * {@link Http1EchoHandler}; reads stay manual ({@code AUTO_READ} off), driven by the handler.
 * HTTP/2: {@code Http2FrameCodec} → {@code Http2MultiplexHandler} with an {@link
 * Http2EchoStreamHandler} per stream; the connection reads automatically because HTTP/2 flow
 * control, not the socket, bounds what each stream may send.
 */
final class ProtocolDetector extends ByteToMessageDecoder {

  /** Stream window: bytes a client may send on one stream before the echo has read them. */
  static final int HTTP2_INITIAL_WINDOW_BYTES = 256 * 1024;

  private final EchoMode mode;
  private final EffectPlan effects;

  ProtocolDetector(EchoMode mode, EffectPlan effects) {
    this.mode = mode;
    this.effects = effects;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    super.channelActive(ctx);
    ctx.read(); // AUTO_READ is off: ask for the first bytes
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    ByteBuf preface = Http2CodecUtil.connectionPrefaceBuf();
    try {
      int n = Math.min(in.readableBytes(), preface.readableBytes());
      if (!ByteBufUtil.equals(in, in.readerIndex(), preface, preface.readerIndex(), n)) {
        installHttp1(ctx.pipeline());
      } else if (n == preface.readableBytes()) {
        installHttp2(ctx);
      }
      // else: a prefix of the preface so far; ByteToMessageDecoder asks for more bytes.
    } finally {
      preface.release();
    }
  }

  private void installHttp1(ChannelPipeline pipeline) {
    pipeline.addAfter("detector", "http1-codec", new HttpServerCodec());
    String last = "http1-codec";
    if (mode instanceof EchoMode.Aggregating aggregating) {
      pipeline.addAfter(last, "http1-aggregator", new HttpObjectAggregator(aggregating.maxContentLength()));
      last = "http1-aggregator";
    }
    pipeline.addAfter(last, "http1-echo", new Http1EchoHandler(effects));
    pipeline.remove(this);
  }

  private void installHttp2(ChannelHandlerContext ctx) {
    ChannelPipeline pipeline = ctx.pipeline();
    pipeline.addAfter(
        "detector",
        "http2-codec",
        Http2FrameCodecBuilder.forServer()
            .initialSettings(Http2Settings.defaultSettings().initialWindowSize(HTTP2_INITIAL_WINDOW_BYTES))
            .build());
    pipeline.addAfter(
        "http2-codec", "http2-multiplex", new Http2MultiplexHandler(new Http2EchoStreamInitializer(effects)));
    pipeline.remove(this);
    ctx.channel().config().setAutoRead(true);
  }
}
