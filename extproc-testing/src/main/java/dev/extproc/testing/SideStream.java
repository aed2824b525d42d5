package dev.extproc.testing;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One ext_proc gRPC stream seen from Envoy's side. gRPC callbacks only enqueue events; the caller's
 * thread takes them, so all protocol state lives on one thread. Inbound flow control is manual:
 * one reply is requested at a time, when the previous one has been taken, so a server that
 * outruns FakeEnvoy sees {@code isReady() == false} as it would with a slow Envoy.
 */
final class SideStream {
  sealed interface Event permits Reply, Closed, Ready {}

  record Reply(ProcessingResponse response) implements Event {}

  record Closed(Status status) implements Event {}

  enum Ready implements Event {
    INSTANCE
  }

  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final Duration timeout;
  private ClientCallStreamObserver<ProcessingRequest> out;
  private Status status;
  private boolean halfClosed;

  private SideStream(Duration timeout) {
    this.timeout = timeout;
  }

  static SideStream open(Channel channel, Duration timeout) {
    SideStream stream = new SideStream(timeout);
    ExternalProcessorGrpc.newStub(channel).process(stream.new Observer());
    return stream;
  }

  private final class Observer implements ClientResponseObserver<ProcessingRequest, ProcessingResponse> {
    @Override
    public void beforeStart(ClientCallStreamObserver<ProcessingRequest> requestStream) {
      out = requestStream;
      requestStream.disableAutoRequestWithInitial(1);
      requestStream.setOnReadyHandler(() -> events.add(Ready.INSTANCE));
    }

    @Override
    public void onNext(ProcessingResponse value) {
      events.add(new Reply(value));
    }

    @Override
    public void onError(Throwable t) {
      events.add(new Closed(Status.fromThrowable(t)));
    }

    @Override
    public void onCompleted() {
      events.add(new Closed(Status.OK));
    }
  }

  boolean isReady() {
    return status == null && out.isReady();
  }

  void send(ProcessingRequest request) {
    out.onNext(request);
  }

  /** Returns the next event, waiting at most {@code nanos}, or null. */
  Event poll(long nanos) {
    try {
      return account(events.poll(nanos, TimeUnit.NANOSECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      cancel("interrupted");
      throw new AssertionError("FakeEnvoy: interrupted", e);
    }
  }

  /** Returns the next event without waiting, or null. */
  Event poll() {
    return account(events.poll());
  }

  /**
   * Returns the next event, waiting at most the timeout.
   *
   * @throws AssertionError on timeout, naming what was awaited
   */
  Event take(Supplier<String> waitingFor) {
    Event event;
    try {
      event = events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      cancel("interrupted");
      throw new AssertionError("FakeEnvoy: interrupted while waiting for " + waitingFor.get(), e);
    }
    if (event == null) {
      cancel("FakeEnvoy timed out");
      throw new AssertionError(
          "FakeEnvoy: nothing from the ext_proc server within " + timeout.toMillis() + " ms while waiting for "
              + waitingFor.get());
    }
    return account(event);
  }

  private Event account(Event event) {
    if (event instanceof Reply) {
      // Ask for the next reply only once this one has been taken: bounded inbound queue.
      out.request(1);
    } else if (event instanceof Closed closed && status == null) {
      status = closed.status();
    }
    return event;
  }

  /** Returns the status the stream ended with, or null while it is open. */
  Status status() {
    return status;
  }

  void halfClose() {
    if (!halfClosed && status == null) {
      halfClosed = true;
      out.onCompleted();
    }
  }

  void cancel(String message) {
    if (status == null) {
      out.cancel(message, null);
    }
  }
}
