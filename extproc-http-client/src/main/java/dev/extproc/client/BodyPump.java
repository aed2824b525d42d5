package dev.extproc.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.io.IOException;

/**
 * Writes one request on a channel only while the channel is writable (TCP send buffer for
 * HTTP/1.1, the stream's flow-control window for HTTP/2): the body is read chunk by chunk and never
 * queued whole. Holds at the request's gate, aborts where the request asks. Every method runs on
 * the channel's event loop.
 */
abstract class BodyPump {

  final Exchange exchange;
  final Channel channel;
  private final RequestBody.Reader reader;
  private ChannelFuture lastWrite;

  BodyPump(Exchange exchange, Channel channel, RequestBody.Reader reader) {
    this.exchange = exchange;
    this.channel = channel;
    this.reader = reader;
  }

  /** Writes the request head (and ends the request there when {@link #endsWithHead()}). */
  abstract ChannelFuture writeHead(boolean endOfRequest);

  /** Writes one body chunk; {@code last} when it ends the request (no trailers follow). */
  abstract ChannelFuture writeData(ByteBuf chunk, boolean last);

  /** Writes the end of the request: trailers if any, or an empty end. */
  abstract ChannelFuture writeEnd();

  /** Ends the exchange from the client's side, once what was written so far went out. */
  abstract void abortAfter(ChannelFuture lastWrite);

  /** Whether the protocol ends a request with no body and no trailers on its head (HTTP/2). */
  abstract boolean endsWithHead();

  /** Releases the body reader; called once when the exchange ends. */
  void release() {
    reader.close();
  }

  /** Writes the head, attaches the gate and writes what the channel takes. */
  void start() {
    Request request = exchange.request();
    boolean endOfRequest = endsWithHead() && request.body().length() == 0 && request.trailers().isEmpty()
        && !request.aborts() && request.gate() == null;
    lastWrite = writeHead(endOfRequest);
    exchange.requestDone = endOfRequest;
    if (request.gate() != null) {
      request.gate().attach(
          () -> channel.eventLoop().execute(this::pump),
          () -> channel.eventLoop().execute(this::abortNow));
    }
    pump();
  }

  /** Ends the exchange now, where the upload stands. */
  void abortNow() {
    if (exchange.isDone()) {
      return;
    }
    exchange.clientAborted = true;
    channel.flush();
    // Cancelled before the head was written: nothing to wait for.
    abortAfter(lastWrite != null ? lastWrite : channel.newSucceededFuture());
  }

  /** Writes body chunks while the channel is writable, then the end of the request (or aborts). */
  void pump() {
    Request request = exchange.request();
    long toSend = request.bytesToSend();
    while (!exchange.requestDone && !exchange.clientAborted && !exchange.isDone() && channel.isWritable()) {
      long sent = exchange.sent();
      if (request.pausedAt(sent)) {
        channel.flush();
        lastWrite.addListener(f -> request.gate().markReached(sent));
        return;
      }
      if (sent < toSend) {
        long limit = request.gate() != null && !request.gate().isOpen() ? Math.min(toSend, request.gate().pauseAt()) : toSend;
        int n = (int) Math.min(request.chunkBytes(), limit - sent);
        ByteBuf chunk;
        try {
          chunk = reader.read(channel.alloc(), sent, n);
        } catch (IOException | RuntimeException e) {
          exchange.complete(Response.Outcome.CONNECTION_CLOSED, "reading the request body failed at " + sent + " B: " + e);
          channel.close();
          return;
        }
        exchange.addSent(n);
        boolean last = !request.aborts() && sent + n == toSend && request.trailers().isEmpty()
            && !request.pausedAt(sent + n);
        lastWrite = writeData(chunk, last);
        exchange.requestDone = last;
      } else if (request.aborts()) {
        abortNow();
        return;
      } else {
        lastWrite = writeEnd();
        exchange.requestDone = true;
      }
    }
    channel.flush();
  }
}
