package dev.extproc.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.KnownLength;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Parses a {@link ProcessingRequest} straight from gRPC's transport buffers, so a body message's
 * {@code body} aliases Netty's memory instead of being copied twice onto the heap (grpc-protobuf
 * copies the message into a {@code byte[]}, then protobuf copies {@code body} out of it).
 *
 * <p>Recipe (grpc-java's {@code Detachable} / {@code HasByteBuffer}, protobuf's aliasing
 * {@code CodedInputStream}): detach the stream (gRPC then no longer closes the buffers when
 * {@code onMessage} returns), wrap each buffer component with {@code UnsafeByteOperations}, join
 * them into a rope (no copy) and parse it with aliasing on. {@code mark} before skipping matters:
 * without it gRPC's composite buffer closes each component once read past. With protobuf-java
 * 3.x up to 4.33 a rope of direct buffers is decoded in place and {@code readBytes} returns
 * slices; 4.34 removed the direct-buffer ByteStrings (it copies), which is why the build pins
 * protobuf-java.
 *
 * <p>Only body messages keep aliased bytes. Headers and trailers ({@code raw_value}) and typed
 * metadata ({@code Any.value}) are commonly kept by processors for the whole exchange, so those
 * are re-parsed onto the heap and the buffers released at once. Stateless and thread-safe.
 */
final class AliasingParser {
  /**
   * Messages below this size take grpc-protobuf's heap parse: for small messages detaching and
   * tracking the buffer costs more than the copy it saves (see docs/benchmarks.md, Zero-copy).
   */
  static final int MIN_BYTES = 32 * 1024;

  private AliasingParser() {}

  /** Whether {@code in} can be parsed without copying: gRPC's uncompressed Netty message stream, large enough. */
  static boolean applies(InputStream in, int minBytes) throws IOException {
    return in instanceof KnownLength && in instanceof Detachable && in instanceof HasByteBuffer
        && ((HasByteBuffer) in).byteBufferSupported() && in.available() >= minBytes;
  }

  /** A parsed message and the buffer it aliases (null when nothing aliases it). */
  record Parsed(ProcessingRequest message, @Nullable InboundBuffer buffer) {}

  /**
   * Detaches {@code in} (which {@link #applies}) and parses it. On success the caller owns the
   * returned buffer; on failure the buffer is already closed and the exception propagates.
   */
  static Parsed parse(InputStream in) throws IOException {
    int size = in.available();
    InputStream detached = ((Detachable) in).detach();
    InboundBuffer buffer = new InboundBuffer(detached, size);
    boolean handedOver = false;
    try {
      ByteString whole = wrap(detached, size);
      CodedInputStream input = whole.newCodedInput();
      input.enableAliasing(true);
      ProcessingRequest message = ProcessingRequest.parser().parseFrom(input);
      input.checkLastTagWas(0);
      Parsed parsed;
      if (Messages.part(message) != dev.extproc.MessagePart.BODY) {
        parsed = new Parsed(ProcessingRequest.parseFrom(whole), null); // no aliasing: bytes copied
      } else {
        parsed = new Parsed(withHeapMetadata(message), buffer);
        handedOver = true;
      }
      return parsed;
    } finally {
      if (!handedOver) {
        buffer.close();
      }
    }
  }

  /** The message's bytes as one ByteString over the transport buffers; marks so nothing is freed. */
  private static ByteString wrap(InputStream detached, int size) throws IOException {
    detached.mark(size);
    HasByteBuffer buffers = (HasByteBuffer) detached;
    List<ByteString> pieces = new ArrayList<>(4);
    int left = size;
    while (left > 0) {
      ByteBuffer piece = buffers.getByteBuffer();
      if (piece == null || !piece.hasRemaining()) {
        throw new IOException("gRPC buffer ended " + left + " bytes before the message's end");
      }
      if (piece.remaining() > left) {
        piece = piece.slice().limit(left);
      }
      int n = piece.remaining();
      pieces.add(UnsafeByteOperations.unsafeWrap(piece));
      long skipped = detached.skip(n);
      if (skipped != n) {
        throw new IOException("gRPC buffer skipped " + skipped + " of " + n + " bytes");
      }
      left -= n;
    }
    detached.reset();
    return ByteString.copyFrom(pieces); // a rope: no bytes copied
  }

  /** Typed metadata holds {@code bytes} ({@code Any.value}); processors keep it, so it must not alias. */
  private static ProcessingRequest withHeapMetadata(ProcessingRequest message) throws IOException {
    if (!message.hasMetadataContext() || message.getMetadataContext().getTypedFilterMetadataCount() == 0) {
      return message;
    }
    Metadata onHeap = Metadata.parseFrom(message.getMetadataContext().toByteArray());
    return message.toBuilder().setMetadataContext(onHeap).build();
  }
}
