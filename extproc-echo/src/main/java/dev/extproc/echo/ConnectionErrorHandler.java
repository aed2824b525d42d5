package dev.extproc.echo;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of every connection: a connection error that no protocol handler took (a
 * client that resets the connection, an HTTP/2 connection's socket error) is logged at debug
 * level, as the normal event it is for an echo backend, and the connection is closed.
 */
@Sharable
final class ConnectionErrorHandler extends ChannelInboundHandlerAdapter {

  static final ConnectionErrorHandler INSTANCE = new ConnectionErrorHandler();

  private static final Logger logger = LoggerFactory.getLogger(ConnectionErrorHandler.class);

  private ConnectionErrorHandler() {}

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    logger.debug("echo connection failed channel={}", ctx.channel(), cause);
    ctx.close();
  }
}
