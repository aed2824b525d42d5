package dev.extproc.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The transport buffers one zero-copy parsed {@link io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest}
 * aliases: gRPC's detached message stream, whose close releases Netty's (pooled, usually direct)
 * {@code ByteBuf}s. Every {@code ByteString} the parse produced for a {@code bytes} field reads
 * this memory, so it is closed only once nothing the engine handed out can still read it (see
 * {@link InboundLedger}). Closed exactly once, from any thread; gRPC's own close is not
 * thread-safe, hence the flag.
 */
final class InboundBuffer {
  private final InputStream detached;
  private final int size;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * @param detached the stream {@code io.grpc.Detachable#detach()} returned; this object owns it
   * @param size the message's size in bytes
   */
  InboundBuffer(InputStream detached, int size) {
    this.detached = detached;
    this.size = size;
  }

  /** The message's size in bytes. */
  int size() {
    return size;
  }

  boolean isClosed() {
    return closed.get();
  }

  /** Releases the transport buffers; later calls do nothing. */
  void close() {
    if (closed.compareAndSet(false, true)) {
      try {
        detached.close();
      } catch (IOException e) {
        // gRPC's buffer streams do not throw on close; nothing else is owned here.
      }
    }
  }

  @Override
  public String toString() {
    return "InboundBuffer[" + size + " bytes" + (closed.get() ? ", closed]" : "]");
  }
}
