package dev.extproc.app.fuzz;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One ext_proc {@code Process} stream whose messages are raw bytes: the client side never parses
 * or serializes, so truncated, garbage and oversized frames reach the server exactly as given.
 */
final class RawProcessCall {
  /** Passes bytes through untouched in both directions. */
  static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try (stream) {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  /** Envoy's {@code envoy.service.ext_proc.v3.ExternalProcessor/Process}, with byte[] messages. */
  static final MethodDescriptor<byte[], byte[]> PROCESS =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
          .setFullMethodName(
              MethodDescriptor.generateFullMethodName("envoy.service.ext_proc.v3.ExternalProcessor", "Process"))
          .setRequestMarshaller(BYTES)
          .setResponseMarshaller(BYTES)
          .build();

  /**
   * How one stream ended on the client: the status (null when none came within the timeout, the
   * stream is then cancelled) and the replies received.
   */
  record Result(Status status, int replies) {
    boolean hung() {
      return status == null;
    }
  }

  private RawProcessCall() {}

  /**
   * Sends {@code fuzzCase}'s frames on a new stream, ends it the way the case says, and waits up
   * to {@code timeout} for the server's status. Blocks the calling thread.
   */
  static Result run(Channel channel, FuzzCase fuzzCase, Duration timeout) throws InterruptedException {
    ClientCall<byte[], byte[]> call = channel.newCall(PROCESS, CallOptions.DEFAULT);
    CompletableFuture<Status> closed = new CompletableFuture<>();
    CompletableFuture<Void> firstReply = new CompletableFuture<>();
    AtomicInteger replies = new AtomicInteger();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onMessage(byte[] message) {
            replies.incrementAndGet();
            firstReply.complete(null);
            call.request(1);
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            closed.complete(status);
            firstReply.complete(null);
          }
        },
        new Metadata());
    call.request(1);
    // At most a dozen small frames (one of about 1 MiB for OVERSIZE): sent without waiting for
    // isReady, gRPC buffers them; replies are requested one at a time as they arrive.
    for (byte[] frame : fuzzCase.frames()) {
      call.sendMessage(frame);
    }
    switch (fuzzCase.ending()) {
      case HALF_CLOSE -> call.halfClose();
      case CANCEL -> call.cancel("fuzz: client cancels", null);
      case CANCEL_AFTER_REPLY -> {
        await(firstReply, timeout);
        call.cancel("fuzz: client cancels after a reply", null);
      }
    }
    Status status = await(closed, timeout);
    if (status == null) {
      call.cancel("fuzz: no status within " + timeout, null);
    }
    return new Result(status, replies.get());
  }

  private static <T> T await(CompletableFuture<T> future, Duration timeout) throws InterruptedException {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return null;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }
}
