package dev.extproc.echo;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;

/**
 * Sets up each HTTP/2 stream channel: manual reads (so the stream's flow-control window is
 * returned to the client only as fast as the echo writes) and an {@link Http2EchoStreamHandler}.
 */
final class Http2EchoStreamInitializer extends ChannelInitializer<Channel> {

  private final EffectPlan effects;

  Http2EchoStreamInitializer(EffectPlan effects) {
    this.effects = effects;
  }

  @Override
  protected void initChannel(Channel ch) {
    ch.config().setAutoRead(false);
    ch.pipeline().addLast(new Http2EchoStreamHandler(effects));
  }
}
