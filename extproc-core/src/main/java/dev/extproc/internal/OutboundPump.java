package dev.extproc.internal;

import dev.extproc.Direction;
import dev.extproc.MessagePart;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything that touches the gRPC call: the queue of replies built but not yet handed to gRPC
 * (sent in order while {@code isReady()}), inbound {@code request(1)}, and the write stages
 * waiting for the output budget. Used on the exchange's serial executor only; {@link Exchange}
 * decides when to pump, read or release.
 */
final class OutboundPump {
  private static final Logger log = LoggerFactory.getLogger(Exchange.class);

  private record Reply(ProcessingResponse message, Direction direction, MessagePart part, int bodyBytes,
      Runnable onSent) {}

  private final ServerCallStreamObserver<ProcessingResponse> call;
  private final ExchangeTelemetry telemetry;
  private final ArrayDeque<Reply> queue = new ArrayDeque<>();
  private final List<CompletableFuture<Void>> waiters = new ArrayList<>();
  private long queuedBytes;
  /** Replies ever queued, and ever taken off the queue (handed to gRPC or dropped): FIFO positions for {@link InboundLedger}. */
  private long enqueuedTotal;
  private long dequeuedTotal;
  private boolean requested;

  OutboundPump(ServerCallStreamObserver<ProcessingResponse> call, ExchangeTelemetry telemetry) {
    this.call = call;
    this.telemetry = telemetry;
  }

  /** Queues a reply; {@code onSent} runs when it is handed to gRPC. */
  void enqueue(ProcessingResponse message, Direction direction, MessagePart part, int bodyBytes, Runnable onSent) {
    queue.addLast(new Reply(message, direction, part, bodyBytes, onSent));
    queuedBytes += bodyBytes;
    enqueuedTotal++;
  }

  /** Body bytes in queued replies. */
  long queuedBytes() {
    return queuedBytes;
  }

  long enqueuedTotal() {
    return enqueuedTotal;
  }

  long dequeuedTotal() {
    return dequeuedTotal;
  }

  boolean queueEmpty() {
    return queue.isEmpty();
  }

  /** Returns whether gRPC takes a reply now; reports the start of a pause to the observer. */
  boolean isReady() {
    if (call.isReady()) {
      telemetry.outboundReady();
      return true;
    }
    telemetry.outboundNotReady();
    return false;
  }

  /** Hands the next queued reply to gRPC; returns false when the queue is empty. Call only when {@link #isReady}. */
  boolean sendQueued() {
    Reply next = queue.pollFirst();
    if (next == null) {
      return false;
    }
    queuedBytes -= next.bodyBytes();
    send(next.message(), next.direction(), next.part(), next.bodyBytes());
    dequeuedTotal++; // after send: gRPC serialised it inside onNext
    next.onSent().run();
    return true;
  }

  /** Hands a reply to gRPC now, bypassing the queue (FULL_DUPLEX_STREAMED output, already in order). */
  void send(ProcessingResponse message, Direction direction, MessagePart part, int bodyBytes) {
    call.onNext(message);
    telemetry.sent(direction, part, bodyBytes);
  }

  // ---------------------------------------------------------------- inbound

  boolean requested() {
    return requested;
  }

  /** Asks gRPC for Envoy's next message. */
  void request() {
    requested = true;
    call.request(1);
  }

  /** A message arrived. */
  void arrived() {
    requested = false;
  }

  // ---------------------------------------------------------------- write stages

  void await(CompletableFuture<Void> stage) {
    waiters.add(stage);
  }

  boolean hasWaiters() {
    return !waiters.isEmpty();
  }

  /** Completes every waiting write stage (their continuations only queue work on the executor). */
  void releaseWaiters() {
    if (waiters.isEmpty()) {
      return;
    }
    List<CompletableFuture<Void>> ready = new ArrayList<>(waiters);
    waiters.clear();
    for (CompletableFuture<Void> waiter : ready) {
      waiter.complete(null);
    }
  }

  // ---------------------------------------------------------------- end

  /** Ends the call with OK. */
  void complete() {
    call.onCompleted();
  }

  /** Ends the call with {@code status}. */
  void fail(Status status, String exchangeId) {
    try {
      call.onError(status.asRuntimeException());
    } catch (RuntimeException e) {
      log.debug("stream {} could not send its error status: {}", exchangeId, e.toString());
    }
  }

  /** Drops queued replies and fails waiting write stages: the exchange is over. */
  void clear(String exchangeId) {
    queue.clear();
    queuedBytes = 0;
    dequeuedTotal = enqueuedTotal;
    List<CompletableFuture<Void>> waiting = new ArrayList<>(waiters);
    waiters.clear();
    for (CompletableFuture<Void> waiter : waiting) {
      waiter.completeExceptionally(new CancellationException("exchange " + exchangeId + " ended"));
    }
  }
}
