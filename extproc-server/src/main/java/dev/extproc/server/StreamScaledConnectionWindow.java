package dev.extproc.server;

import static java.util.Objects.requireNonNull;

import io.grpc.ServerCredentials;
import io.grpc.internal.ObjectPool;
import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.InternalNettyServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Connection;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Exception;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2LocalFlowController;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Stream;
import io.grpc.netty.shaded.io.netty.util.AsciiString;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sizes each HTTP/2 connection's receive window from the streams open on it, so that streams whose
 * messages the engine has not requested cannot starve the other streams of the same connection.
 *
 * <p>Why: grpc-java returns a message's bytes to the stream <em>and</em> the connection window only
 * when the application requests the message, and {@code NettyServerBuilder.flowControlWindow(W)}
 * gives the connection the same window W as one stream. Envoy multiplexes many ext_proc side
 * streams on one connection, so a single stream whose processor is slow (or whose messages simply
 * wait their turn) can hold the whole connection window, and no byte of the other streams gets
 * through. Here the connection's target window is {@code W × (1 + 2 × open streams)}: every open
 * stream can hold at most its own W unrequested, and the factor 2 covers Netty's update rule (it
 * sends a connection WINDOW_UPDATE only once the unreturned part exceeds half the target), so the
 * connection window is never what stops a stream; each stream's own window W still bounds the
 * bytes it can have in flight, as before.
 *
 * <p>Implemented as a wrapper around the credentials' protocol negotiator, which is handed each
 * connection's gRPC HTTP/2 handler before the connection starts; a connection listener then moves
 * the target when a stream opens or closes. All of it runs on the connection's event loop.
 */
final class StreamScaledConnectionWindow {
  private static final Logger log = LoggerFactory.getLogger(StreamScaledConnectionWindow.class);

  private StreamScaledConnectionWindow() {}

  /**
   * Returns credentials that behave like {@code credentials} (plaintext, TLS, mTLS) and scale each
   * connection's window with its open streams, {@code streamWindowBytes} being the server's
   * per-stream window ({@code NettyServerBuilder.flowControlWindow}).
   */
  static ServerCredentials wrap(ServerCredentials credentials, int streamWindowBytes) {
    requireNonNull(credentials, "credentials");
    if (streamWindowBytes <= 0) {
      throw new IllegalArgumentException("streamWindowBytes: " + streamWindowBytes + " (expected: > 0)");
    }
    InternalProtocolNegotiator.ServerFactory factory = InternalNettyServerCredentials.toNegotiator(credentials);
    return InternalNettyServerCredentials.create(new Factory(factory, streamWindowBytes));
  }

  /** The target connection window with {@code openStreams} streams open. */
  static int targetWindow(int streamWindowBytes, int openStreams) {
    long target = (long) streamWindowBytes * (1 + 2L * openStreams);
    return (int) Math.min(Integer.MAX_VALUE, target); // HTTP/2's largest window
  }

  private record Factory(InternalProtocolNegotiator.ServerFactory delegate, int streamWindowBytes)
      implements InternalProtocolNegotiator.ServerFactory {
    @Override
    public InternalProtocolNegotiator.ProtocolNegotiator newNegotiator(ObjectPool<? extends Executor> offloadExecutorPool) {
      return new Negotiator(delegate.newNegotiator(offloadExecutorPool), streamWindowBytes);
    }
  }

  private record Negotiator(InternalProtocolNegotiator.ProtocolNegotiator delegate, int streamWindowBytes)
      implements InternalProtocolNegotiator.ProtocolNegotiator {
    @Override
    public AsciiString scheme() {
      return delegate.scheme();
    }

    @Override
    public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
      Http2Connection connection = grpcHandler.connection();
      connection.addListener(new Scaler(connection, grpcHandler.decoder().flowController(), streamWindowBytes));
      return delegate.newHandler(grpcHandler);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  /** Moves one connection's target window as its streams open and close; on its event loop. */
  private static final class Scaler extends Http2ConnectionAdapter {
    private final Http2Connection connection;
    private final Http2LocalFlowController flowController;
    private final int streamWindowBytes;

    Scaler(Http2Connection connection, Http2LocalFlowController flowController, int streamWindowBytes) {
      this.connection = connection;
      this.flowController = flowController;
      this.streamWindowBytes = streamWindowBytes;
    }

    @Override
    public void onStreamActive(Http2Stream stream) {
      resize();
    }

    @Override
    public void onStreamClosed(Http2Stream stream) {
      resize();
    }

    private void resize() {
      Http2Stream connectionStream = connection.connectionStream();
      int target = targetWindow(streamWindowBytes, connection.numActiveStreams());
      int delta = target - flowController.initialWindowSize(connectionStream);
      if (delta == 0) {
        return;
      }
      try {
        // A larger target sends a WINDOW_UPDATE at once when the window is below half of it; a smaller
        // one only lowers what later updates restore (HTTP/2 cannot take window back).
        flowController.incrementWindowSize(connectionStream, delta);
      } catch (Http2Exception e) {
        log.debug("cannot resize the connection window to {} bytes: {}", target, e.toString());
      }
    }
  }
}
