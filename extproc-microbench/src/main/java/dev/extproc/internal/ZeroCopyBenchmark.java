package dev.extproc.internal;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import io.grpc.Detachable;
import io.grpc.Drainable;
import io.grpc.HasByteBuffer;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The inbound parse and the outbound serialisation of one body message, without a network: the
 * message sits in direct buffers of 16 KiB (Netty's HTTP/2 frames, as gRPC hands them over),
 * exposed as gRPC's detachable stream would be. Run with {@code -prof gc} for bytes allocated per
 * operation.
 *
 * <ul>
 *   <li>{@code parseHeap}: grpc-protobuf's parse, as before (the message copied into a
 *       {@code byte[]}, then the body copied out of it).
 *   <li>{@code parseZeroCopy}: {@link AliasingParser}; the body aliases the buffers.
 *   <li>{@code parseZeroCopyThenCopy}: as the engine hands a chunk to a processor that does not
 *       borrow chunks (one heap copy).
 *   <li>{@code serialiseHeapBody} / {@code serialiseAliasedBody}: a {@code streamed_response}
 *       carrying the body (a heap chunk, or a chunk aliasing the inbound direct buffers, as a
 *       pass-through sends it), drained through grpc-protobuf's response marshaller ({@code
 *       Drainable}) into one reused array, as gRPC's framer copies it into Netty's buffers.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class ZeroCopyBenchmark {
  private static final int FRAME_BYTES = 16 * 1024;

  @Param({"1024", "16384", "65536", "1048576"})
  public int bodyBytes;

  private final MethodDescriptor.Marshaller<Inbound> heap = Inbound.marshaller(Integer.MAX_VALUE);
  private final MethodDescriptor.Marshaller<Inbound> zeroCopy = Inbound.marshaller(0);
  private final MethodDescriptor.Marshaller<ProcessingResponse> responses =
      ExternalProcessorGrpc.getProcessMethod().getResponseMarshaller();
  private List<ByteBuffer> frames;
  private int size;
  private ProcessingResponse heapReply;
  private ProcessingResponse aliasedReply;
  private AliasingParser.Parsed aliased;
  private byte[] transport;

  @Setup
  public void setUp() throws IOException {
    byte[] body = new byte[bodyBytes];
    new Random(7).nextBytes(body);
    byte[] message = ProcessingRequest.newBuilder()
        .setRequestBody(HttpBody.newBuilder().setBody(ByteString.copyFrom(body))).build().toByteArray();
    size = message.length;
    frames = new ArrayList<>();
    for (int start = 0; start < message.length; start += FRAME_BYTES) {
      int length = Math.min(FRAME_BYTES, message.length - start);
      ByteBuffer frame = ByteBuffer.allocateDirect(length);
      frame.put(message, start, length).flip();
      frames.add(frame);
    }
    transport = new byte[bodyBytes + 64];
    heapReply = reply(ByteString.copyFrom(body));
    aliased = AliasingParser.parse(new FrameStream(frames, size));
    aliasedReply = reply(aliased.message().getRequestBody().getBody());
  }

  private static ProcessingResponse reply(ByteString chunk) {
    return ProcessingResponse.newBuilder().setRequestBody(io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse.newBuilder()
        .setResponse(io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse.newBuilder()
            .setBodyMutation(BodyMutation.newBuilder().setStreamedResponse(
                StreamedBodyResponse.newBuilder().setBody(chunk))))).build();
  }

  @Benchmark
  public ByteString parseHeap() {
    return heap.parse(new FrameStream(frames, size)).message().getRequestBody().getBody();
  }

  @Benchmark
  public int parseZeroCopy() {
    Inbound inbound = zeroCopy.parse(new FrameStream(frames, size));
    int bodySize = inbound.message().getRequestBody().getBody().size();
    inbound.buffer().close();
    return bodySize;
  }

  @Benchmark
  public ByteString parseZeroCopyThenCopy() {
    Inbound inbound = zeroCopy.parse(new FrameStream(frames, size));
    ByteString copy = com.google.protobuf.UnsafeByteOperations.unsafeWrap(
        inbound.message().getRequestBody().getBody().toByteArray());
    inbound.buffer().close();
    return copy;
  }

  @Benchmark
  public void serialiseHeapBody(Blackhole sink) throws IOException {
    drain(heapReply, sink);
  }

  @Benchmark
  public void serialiseAliasedBody(Blackhole sink) throws IOException {
    drain(aliasedReply, sink);
  }

  /** Drains like gRPC's framer: every byte is copied once into a transport buffer (here one reused array). */
  private void drain(ProcessingResponse reply, Blackhole sink) throws IOException {
    InputStream stream = responses.stream(reply);
    TransportBuffer out = new TransportBuffer(transport);
    ((Drainable) stream).drainTo(out);
    sink.consume(out.position);
  }

  private static final class TransportBuffer extends OutputStream {
    private final byte[] target;
    int position;

    TransportBuffer(byte[] target) {
      this.target = target;
    }

    @Override public void write(int b) {
      target[position++] = (byte) b;
    }

    @Override public void write(byte[] b, int off, int len) {
      System.arraycopy(b, off, target, position, len);
      position += len;
    }
  }

  /**
   * A message in direct frames, exposed the way gRPC's Netty transport exposes an uncompressed
   * message: {@code KnownLength}, {@code HasByteBuffer}, {@code Detachable}, mark/reset.
   */
  static final class FrameStream extends InputStream implements KnownLength, HasByteBuffer, Detachable {
    private final List<ByteBuffer> frames;
    private int index;
    private int position;
    private int available;
    private int markIndex;
    private int markPosition;
    private int markAvailable;

    FrameStream(List<ByteBuffer> frames, int size) {
      this.frames = frames;
      this.available = size;
    }

    @Override public int available() {
      return available;
    }

    @Override public int read() {
      if (available == 0) {
        return -1;
      }
      ByteBuffer frame = frames.get(index);
      int b = frame.get(position++) & 0xFF;
      available--;
      if (position == frame.limit()) {
        index++;
        position = 0;
      }
      return b;
    }

    @Override public int read(byte[] into, int off, int len) {
      if (available == 0) {
        return -1;
      }
      int done = 0;
      while (done < len && available > 0) {
        ByteBuffer frame = frames.get(index);
        int n = Math.min(len - done, frame.limit() - position);
        frame.duplicate().position(position).get(into, off + done, n);
        advance(n);
        done += n;
      }
      return done;
    }

    @Override public long skip(long n) {
      long done = 0;
      while (done < n && available > 0) {
        int step = (int) Math.min(n - done, frames.get(index).limit() - position);
        advance(step);
        done += step;
      }
      return done;
    }

    private void advance(int n) {
      position += n;
      available -= n;
      if (position == frames.get(index).limit()) {
        index++;
        position = 0;
      }
    }

    @Override public boolean markSupported() {
      return true;
    }

    @Override public void mark(int limit) {
      markIndex = index;
      markPosition = position;
      markAvailable = available;
    }

    @Override public void reset() {
      index = markIndex;
      position = markPosition;
      available = markAvailable;
    }

    @Override public boolean byteBufferSupported() {
      return true;
    }

    @Override public ByteBuffer getByteBuffer() {
      return frames.get(index).duplicate().position(position);
    }

    @Override public InputStream detach() {
      FrameStream detached = new FrameStream(frames, available);
      detached.index = index;
      detached.position = position;
      available = 0;
      return detached;
    }
  }
}
