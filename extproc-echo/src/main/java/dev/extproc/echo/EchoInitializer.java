package dev.extproc.echo;

import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;

/**
 * Assembles the pipeline of an accepted connection: a {@link ProtocolDetector} that looks at the
 * first bytes and then installs either the HTTP/1.1 or the HTTP/2 echo pipeline in its place, and
 * a {@link ConnectionErrorHandler} that stays last.
 */
final class EchoInitializer extends ChannelInitializer<SocketChannel> {

  private final EchoMode mode;
  private final EffectPlan effects;

  EchoInitializer(EchoMode mode, EffectPlan effects) {
    this.mode = requireNonNull(mode, "mode");
    this.effects = requireNonNull(effects, "effects");
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    ch.pipeline()
        .addLast("detector", new ProtocolDetector(mode, effects))
        .addLast("errors", ConnectionErrorHandler.INSTANCE);
  }
}
