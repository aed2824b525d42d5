package dev.extproc.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
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
 * <p>Recipe (grpc-java's {@code Detachable} / {@code HasByteBuffer}, protobuf's {@code
 * UnsafeByteOperations}): detach the stream (gRPC then no longer closes the buffers when
 * {@code onMessage} returns), wrap each buffer component, join them into a rope (no copy) and take
 * the body as a substring of it ({@link #parseBodyMessage}). {@code mark} before skipping matters:
 * without it gRPC's composite buffer closes each component once read past. protobuf-java 3.x up to
 * 4.33 wraps a direct buffer without copying it; 4.34 removed the direct-buffer ByteStrings (it
 * copies), which is why the build pins protobuf-java.
 *
 * <p>Only the body aliases. Headers and trailers ({@code raw_value}) and typed metadata ({@code
 * Any.value}) are commonly kept by processors for the whole exchange, so a message without a body
 * is parsed onto the heap and its buffers released at once. Stateless and thread-safe.
 */
final class AliasingParser {
  /**
   * Messages below this size take grpc-protobuf's heap parse: for small messages detaching and
   * tracking the buffer costs more than the copy it saves (see docs/benchmarks.md, Zero-copy).
   */
  static final int MIN_BYTES = 32 * 1024;
  /** Components without a ByteBuffer copied byte by byte before the rest of the message is copied at once. */
  private static final int MAX_COPIED_PIECES = 16;
  private static final int REQUEST_BODY = ProcessingRequest.REQUEST_BODY_FIELD_NUMBER;
  private static final int RESPONSE_BODY = ProcessingRequest.RESPONSE_BODY_FIELD_NUMBER;
  private static final int BODY_TAG = (HttpBody.BODY_FIELD_NUMBER << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED;

  private AliasingParser() {}

  /**
   * Whether {@code in} can be parsed without copying: gRPC's uncompressed message stream
   * (KnownLength, Detachable, HasByteBuffer), large enough. {@code byteBufferSupported()} is not
   * required: gRPC's deframer puts empty heap wrappers ({@code ReadableBuffers.empty()}) into the
   * composite buffer of many messages, which makes it false although every byte is in Netty's
   * buffers; {@link #wrap} copies just the bytes of a component that has no ByteBuffer.
   */
  static boolean applies(InputStream in, int minBytes) throws IOException {
    return in instanceof KnownLength && in instanceof Detachable && in instanceof HasByteBuffer
        && in.markSupported() && in.available() >= minBytes;
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
      ProcessingRequest message = parseBodyMessage(whole);
      if (message == null) {
        return new Parsed(ProcessingRequest.parseFrom(whole), null); // not a body message: bytes copied
      }
      handedOver = true;
      return new Parsed(message, buffer);
    } finally {
      if (!handedOver) {
        buffer.close();
      }
    }
  }

  /**
   * Parses a body message so that {@code body} is a substring of {@code whole} (a rope over the
   * transport buffers: no copy, even when the body spans many HTTP/2 frames; protobuf's own aliasing
   * decoder copies any {@code bytes} field that crosses a buffer boundary). Walks the top-level
   * fields and those of the {@code HttpBody}; everything else (small: end_of_stream, attributes,
   * metadata, protocol_config) is parsed by protobuf from a heap copy, so nothing but the body
   * aliases the buffer. Returns null when the message carries no body field.
   */
  static @Nullable ProcessingRequest parseBodyMessage(ByteString whole) throws IOException {
    CodedInputStream in = whole.newCodedInput();
    List<ByteString> rest = new ArrayList<>(2);
    List<ByteString> bodyRest = new ArrayList<>(2);
    ByteString body = null;
    int bodyField = 0;
    while (true) {
      int start = in.getTotalBytesRead();
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      int field = WireFormat.getTagFieldNumber(tag);
      boolean delimited = WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
      if (!delimited || (field != REQUEST_BODY && field != RESPONSE_BODY)) {
        in.skipField(tag);
        rest.add(whole.substring(start, in.getTotalBytesRead()));
        continue;
      }
      if (bodyField != 0) {
        return null; // two body fields (merged by protobuf): not worth a special case
      }
      bodyField = field;
      int limit = in.pushLimit(in.readRawVarint32());
      while (!in.isAtEnd()) {
        int fieldStart = in.getTotalBytesRead();
        int bodyTag = in.readTag();
        if (bodyTag == BODY_TAG && body == null) {
          int length = in.readRawVarint32();
          int offset = in.getTotalBytesRead();
          in.skipRawBytes(length);
          body = whole.substring(offset, offset + length);
        } else {
          in.skipField(bodyTag);
          bodyRest.add(whole.substring(fieldStart, in.getTotalBytesRead()));
        }
      }
      in.popLimit(limit);
    }
    if (bodyField == 0) {
      return null;
    }
    ProcessingRequest.Builder message = ProcessingRequest.parseFrom(onHeap(rest)).toBuilder();
    if (message.getRequestCase() != ProcessingRequest.RequestCase.REQUEST_NOT_SET) {
      return null; // another part too (the last one wins in protobuf): let protobuf decide
    }
    HttpBody.Builder httpBody = HttpBody.parseFrom(onHeap(bodyRest)).toBuilder();
    if (body != null) {
      httpBody.setBody(body);
    }
    return bodyField == REQUEST_BODY ? message.setRequestBody(httpBody).build() : message.setResponseBody(httpBody).build();
  }

  /** The head component's bytes, or null when it has none as a ByteBuffer. */
  private static @Nullable ByteBuffer byteBuffer(HasByteBuffer buffers) {
    try {
      return buffers.getByteBuffer();
    } catch (UnsupportedOperationException e) {
      return null;
    }
  }

  private static byte[] onHeap(List<ByteString> pieces) {
    return ByteString.copyFrom(pieces).toByteArray();
  }

  /** The message's bytes as one ByteString over the transport buffers; marks so nothing is freed. */
  private static ByteString wrap(InputStream detached, int size) throws IOException {
    detached.mark(size);
    HasByteBuffer buffers = (HasByteBuffer) detached;
    List<ByteString> pieces = new ArrayList<>(4);
    int left = size;
    int copiedPieces = 0;
    while (left > 0) {
      ByteBuffer piece = byteBuffer(buffers);
      if (piece == null || !piece.hasRemaining()) {
        // A component without a ByteBuffer (or an empty one, which reading pops): copy a byte past
        // it; after a few, copy the rest at once rather than byte by byte.
        int n = ++copiedPieces > MAX_COPIED_PIECES ? left : 1;
        byte[] bytes = detached.readNBytes(n);
        if (bytes.length != n) {
          throw new IOException("gRPC buffer ended " + (left - bytes.length) + " bytes before the message's end");
        }
        pieces.add(UnsafeByteOperations.unsafeWrap(bytes));
        left -= n;
        continue;
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
}
