package dev.extproc.echo;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;

/**
 * The shared skeleton of the echo handlers: messages read are queued by the subclass and pumped
 * into its exchange by {@link #drain()}; more is read only when the subclass says so ({@link
 * #maybeRead()}), when a read completes or after each drain; draining resumes when the channel
 * becomes writable again; everything still held is released when the channel goes inactive, the
 * handler is removed or an exception is caught.
 *
 * <p>Subclasses own the queue and the exchange and supply the protocol-specific parts: {@link
 * #drainOnce()}, {@link #maybeRead()}, {@link #releaseAll()} and the writes of their {@link
 * PumpingTransport}.
 */
abstract class PumpingEchoHandler extends ChannelInboundHandlerAdapter {

  private final Logger logger;
  private final String failureMessage;

  /** This handler's context, set when it is added to the pipeline. */
  ChannelHandlerContext ctx;
  private boolean draining;
  private boolean drainAgain;

  /**
   * @param logger the subclass's logger, used for the failure logged by {@link #exceptionCaught}
   * @param label what failed, in the log message {@code "echo <label> failed channel={}"}
   */
  PumpingEchoHandler(Logger logger, String label) {
    this.logger = logger;
    this.failureMessage = "echo " + label + " failed channel={}";
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    maybeRead();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      drain();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseAll();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseAll();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    logger.debug(failureMessage, ctx.channel(), cause);
    releaseAll();
    ctx.close();
  }

  /**
   * Moves queued messages into the exchange while it accepts them, then maybe reads more. A write
   * can make the channel writable again synchronously (a flush frees the outbound buffer), which
   * calls back here: such a nested call only asks the running one to loop once more.
   */
  final void drain() {
    if (draining) {
      drainAgain = true;
      return;
    }
    draining = true;
    try {
      do {
        drainAgain = false;
        drainOnce();
      } while (drainAgain);
    } finally {
      draining = false;
    }
  }

  /** One pass of {@link #drain()}: pumps the exchange, hands it queued messages, maybe reads. */
  abstract void drainOnce();

  /** Asks for the next read if everything read so far was handled and the channel is writable. */
  abstract void maybeRead();

  /** Cancels the exchange, if any, and releases every queued message. */
  abstract void releaseAll();

  /** The channel side of an exchange common to both protocols; subclasses write the messages. */
  abstract class PumpingTransport<T> implements EchoExchange.Transport<T> {
    /** The last write of the response so far; null before the head was written. */
    ChannelFuture lastWrite;

    /** Closes the channel once the last write is done, or now if nothing was written. */
    final void closeAfterLastWrite() {
      if (lastWrite == null) {
        ctx.close();
      } else {
        lastWrite.addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public boolean isWritable() {
      return ctx.channel().isWritable();
    }

    @Override
    public EventExecutor executor() {
      return ctx.executor();
    }

    @Override
    public void resume() {
      drain();
    }
  }
}
