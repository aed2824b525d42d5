package dev.extproc.testkit;

import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * The server side of one call, played by the test: what gRPC's transport would do between the
 * engine and the wire. Inbound messages go through the method's own request marshaller (so an
 * engine with a custom marshaller sees the bytes it would see from Netty); outbound ones through its
 * response marshaller. Messages are delivered only as the engine {@linkplain #request requests}
 * them, and listener callbacks never overlap ({@link CallbackQueue}).
 */
final class FakeServerCall<ReqT, RespT> extends ServerCall<ReqT, RespT> {
  private final MethodDescriptor<ReqT, RespT> method;
  private final Consumer<ProcessingResponse> replies;
  private final CallbackQueue callbacks = new CallbackQueue();
  private final Deque<byte[]> inbound = new ArrayDeque<>();
  private final List<Integer> requestCalls = new ArrayList<>();
  private Listener<ReqT> listener;
  private int credit;
  private boolean halfCloseSent;
  private boolean halfCloseDelivered;
  private boolean ready = true;
  private boolean cancelled;
  private Status closeStatus;

  FakeServerCall(ServerMethodDefinition<ReqT, RespT> definition, Consumer<ProcessingResponse> replies) {
    this.method = definition.getMethodDescriptor();
    this.replies = replies;
    ServerCallHandler<ReqT, RespT> handler = definition.getServerCallHandler();
    Listener<ReqT> started = handler.startCall(this, new Metadata());
    synchronized (this) {
      listener = started;
    }
    callbacks.run(() -> started.onReady());
  }

  // ------------------------------------------------------------ the test's side

  void send(byte[] message) {
    synchronized (this) {
      if (halfCloseSent || cancelled) {
        throw new IllegalStateException("send after " + (cancelled ? "cancel" : "halfClose"));
      }
      inbound.add(message);
    }
    callbacks.run(this::deliver);
  }

  void halfClose() {
    synchronized (this) {
      if (halfCloseSent || cancelled) {
        return;
      }
      halfCloseSent = true;
    }
    callbacks.run(this::deliver);
  }

  void cancel() {
    synchronized (this) {
      if (cancelled || closeStatus != null) {
        return;
      }
      cancelled = true;
      inbound.clear();
    }
    callbacks.run(() -> listener.onCancel());
  }

  void setReady(boolean value) {
    boolean becameReady;
    synchronized (this) {
      becameReady = value && !ready;
      ready = value;
    }
    if (becameReady) {
      callbacks.run(() -> {
        if (isReady()) {
          listener.onReady();
        }
      });
    }
  }

  synchronized int pendingInbound() {
    return inbound.size();
  }

  synchronized int credit() {
    return credit;
  }

  synchronized List<Integer> requestCalls() {
    return List.copyOf(requestCalls);
  }

  synchronized Status closeStatus() {
    return closeStatus;
  }

  /** Delivers what the credit allows: one message per callback, then the half-close after the last. */
  private void deliver() {
    byte[] next;
    synchronized (this) {
      if (cancelled || closeStatus != null) {
        return;
      }
      if (credit == 0 || inbound.isEmpty()) {
        if (inbound.isEmpty() && halfCloseSent && !halfCloseDelivered) {
          halfCloseDelivered = true;
          callbacks.run(() -> listener.onHalfClose());
        }
        return;
      }
      credit--;
      next = inbound.poll();
    }
    ReqT parsed;
    try {
      parsed = method.parseRequest(new ByteArrayInputStream(next));
    } catch (RuntimeException e) {
      // What gRPC does when the marshaller throws: the call is cancelled with the parse error.
      synchronized (this) {
        closeStatus = Status.fromThrowable(e);
        cancelled = true;
      }
      callbacks.run(() -> listener.onCancel());
      return;
    }
    listener.onMessage(parsed);
    callbacks.run(this::deliver);
  }

  // ------------------------------------------------------------ the engine's side

  @Override
  public void request(int numMessages) {
    if (numMessages < 0) {
      throw new IllegalArgumentException("numMessages: " + numMessages);
    }
    synchronized (this) {
      requestCalls.add(numMessages);
      credit += numMessages;
    }
    callbacks.run(this::deliver);
  }

  @Override
  public void sendHeaders(Metadata headers) {}

  @Override
  public void sendMessage(RespT message) {
    synchronized (this) {
      if (closeStatus != null) {
        throw new IllegalStateException("sendMessage after close (" + closeStatus + ")");
      }
    }
    try (InputStream bytes = method.streamResponse(message)) {
      replies.accept(ProcessingResponse.parseFrom(bytes));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read back a reply the engine sent", e);
    }
  }

  @Override
  public synchronized boolean isReady() {
    return ready && !cancelled && closeStatus == null;
  }

  @Override
  public void close(Status status, Metadata trailers) {
    synchronized (this) {
      if (closeStatus != null) {
        throw new IllegalStateException("call already closed with " + closeStatus + "; now " + status);
      }
      closeStatus = status;
      if (cancelled) {
        return;
      }
    }
    // gRPC reports a server-closed call as complete once its trailers are written.
    callbacks.run(() -> listener.onComplete());
  }

  @Override
  public synchronized boolean isCancelled() {
    return cancelled;
  }

  @Override
  public Attributes getAttributes() {
    return Attributes.EMPTY;
  }

  @Override
  public String getAuthority() {
    return "embedded";
  }

  @Override
  public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
    return method;
  }
}
