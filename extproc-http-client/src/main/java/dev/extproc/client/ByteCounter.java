package dev.extproc.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/** Counts the bytes a connection writes to its socket; sits first in the pipeline. */
final class ByteCounter extends ChannelOutboundHandlerAdapter {
  private volatile long written;

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof ByteBuf buf) {
      written += buf.readableBytes();
    }
    ctx.write(msg, promise);
  }

  @Override
  public boolean isSharable() {
    return false;
  }

  long written() {
    return written;
  }
}
