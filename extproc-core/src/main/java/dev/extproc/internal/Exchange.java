package dev.extproc.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ExchangeContext;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcConfig.ProcessorErrorPolicy;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import dev.extproc.MessagePart;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ext_proc gRPC stream, i.e. one HTTP exchange: coordination only. Messages are checked by
 * {@link InboundRules} on arrival, dispatched one event at a time (a body message to its mode's
 * {@link BodyDiscipline}), replies are built by {@link Answers} and sent by the {@link
 * OutboundPump}; each direction's state is a {@link DirectionFlow}. Every field is touched only on
 * {@link #exec}, the stream's serial executor, except the volatile ones.
 *
 * <p><b>Flow control.</b> Auto-request is off. The next message is requested when no event runs,
 * gRPC is ready and the deliverable output is under the budget; one message is read ahead while an
 * event runs only when output waits for Envoy's first body message in FULL_DUPLEX_STREAMED (it is
 * parked, checked, and dispatched after the event). A write's stage completes while the stream's
 * output held is at most {@code maxPendingOutputBytes}, except in the one-reply-per-message modes.
 */
final class Exchange implements StreamObserver<Inbound>, ExchangeContext {
  private static final Logger log = LoggerFactory.getLogger(Exchange.class);

  private enum State { OPEN, IMMEDIATE, CLOSED }

  private final ServiceState service;
  private final ExtProcConfig config;
  private final SerialExecutor exec;
  private final String id;
  private final Instant startTime = Instant.now();
  private final ExchangeTelemetry telemetry;
  private final OutboundPump pump;
  private final ServerCallStreamObserver<ProcessingResponse> call;
  final DirectionFlow request;
  final DirectionFlow response;

  private volatile State state = State.OPEN;
  private ExchangeOutcome immediateOutcome = ExchangeOutcome.IMMEDIATE_RESPONSE;
  private @Nullable ExchangeHandler handler;
  private @Nullable ProcessingMode mode;
  private volatile BodyMode initialRequestMode = BodyMode.NONE;
  private volatile BodyMode initialResponseMode = BodyMode.NONE;
  private Map<String, Struct> attributes = Map.of();
  private Metadata metadataContext = Metadata.getDefaultInstance();
  /** Envoy sends bodies before the header reply (and then ignores mode_override). */
  private volatile boolean bodyWithoutWaiting;
  /** A processor event's stage is outstanding. */
  private boolean busy;
  private boolean halfClosed;
  private boolean pumpScheduled;
  /** A message read ahead while an event ran, checked, waiting to be dispatched. */
  private @Nullable ProcessingRequest parked;
  private Direction eventDirection = Direction.REQUEST;
  private @Nullable ProcessingMode pendingOverride;
  private @Nullable Struct pendingMetadata;
  private @Nullable String failure;

  Exchange(ServiceState service, ServerCallStreamObserver<ProcessingResponse> call) {
    this.service = service;
    this.config = service.config;
    this.id = service.ids.next();
    this.exec = new SerialExecutor(id, this::onUncaught);
    this.telemetry = new ExchangeTelemetry(service.stats, service.observer, this);
    this.pump = new OutboundPump(call, telemetry);
    this.request = new DirectionFlow(Direction.REQUEST, this);
    this.response = new DirectionFlow(Direction.RESPONSE, this);
    this.call = call;
  }

  /** Wires flow control and cancellation; called from the gRPC handler before it returns. */
  void start() {
    telemetry.opened();
    call.disableAutoRequest();
    call.setOnReadyHandler(() -> exec.execute(this::pump));
    call.setOnCancelHandler(() -> {
      Deadline deadline = Context.current().getDeadline();
      boolean expired = deadline != null && deadline.isExpired();
      exec.execute(() -> onCancelled(expired));
    });
    pump.request(); // the first message is always wanted
  }

  // ---------------------------------------------------------------- ExchangeContext

  @Override public String id() { return id; }
  @Override public Instant startTime() { return startTime; }
  @Override public Map<String, Struct> attributes() { return attributes; }
  @Override public Metadata metadataContext() { return metadataContext; }
  @Override public ScheduledExecutorService scheduler() { return service.scheduler; }
  @Override public String toString() { return "Exchange[" + id + "]"; }

  @Override
  public BodyMode initialBodyMode(Direction direction) {
    return direction == Direction.REQUEST ? initialRequestMode : initialResponseMode;
  }

  @Override
  public void respond(ImmediateResponse immediate) {
    java.util.Objects.requireNonNull(immediate, "response");
    runOnExecutor(() -> respond(immediate, ExchangeOutcome.IMMEDIATE_RESPONSE));
  }

  @Override
  public void overrideMode(ProcessingMode override) {
    java.util.Objects.requireNonNull(override, "mode");
    if (!config.modeOverrideAllowed()) {
      throw new IllegalStateException("overrideMode: mode overrides are disabled (expected:"
          + " ExtProcConfig.modeOverrideAllowed true, matching Envoy's allow_mode_override)");
    }
    if (request.target != DirectionFlow.MutationTarget.HEADERS
        && response.target != DirectionFlow.MutationTarget.HEADERS) {
      throw new IllegalStateException("overrideMode outside onHeaders: Envoy honours mode_override"
          + " only in a headers reply");
    }
    if (bodyWithoutWaiting) {
      throw new IllegalStateException("overrideMode with send_body_without_waiting_for_header_response:"
          + " Envoy ignores mode_override then");
    }
    if (request.mode == BodyMode.FULL_DUPLEX_STREAMED || response.mode == BodyMode.FULL_DUPLEX_STREAMED) {
      throw new IllegalStateException("overrideMode while a direction is FULL_DUPLEX_STREAMED: Envoy"
          + " ignores mode_override then");
    }
    runOnExecutor(() -> pendingOverride = override);
  }

  @Override
  public void setDynamicMetadata(Struct metadata) {
    java.util.Objects.requireNonNull(metadata, "metadata");
    runOnExecutor(() -> pendingMetadata = MetadataValues.merge(pendingMetadata, metadata));
  }

  @Override
  public void putMetadata(String namespace, String key, @Nullable Object value) {
    setDynamicMetadata(MetadataValues.single(namespace, key, value));
  }

  // ---------------------------------------------------------------- inbound

  @Override
  public void onNext(Inbound message) {
    exec.execute(() -> arrive(message));
  }

  @Override
  public void onError(Throwable t) {
    exec.execute(() -> onCancelled(false));
  }

  @Override
  public void onCompleted() {
    exec.execute(() -> {
      halfClosed = true;
      maybeFinish();
    });
  }

  private void arrive(Inbound inbound) {
    pump.arrived();
    if (state != State.OPEN) {
      return; // after an immediate response or a failure, later messages are ignored
    }
    ProcessingRequest message = inbound.message();
    if (message == null) {
      telemetry.received(null, null, 0);
      protocolError(InboundRules.unparseable(String.valueOf(inbound.parseError())));
      return;
    }
    InboundRules.Violation violation = InboundRules.size(message.getSerializedSize(), config.maxInboundMessageBytes());
    if (violation == null && mode == null) {
      violation = message.hasProtocolConfig() ? InboundRules.protocolConfig(message.getProtocolConfig()) : null;
      if (violation == null && !begin(message)) {
        return;
      }
    }
    DirectionFlow d = Messages.direction(message) == Direction.REQUEST ? request : response;
    MessagePart part = Messages.part(message);
    telemetry.received(part == null ? null : d.direction, part, Messages.body(message).size());
    if (violation == null) {
      violation = part == null ? InboundRules.noRequestSet() : InboundRules.check(d.direction, d.arrived, d.mode, message);
    }
    if (violation != null) {
      protocolError(violation);
      return;
    }
    d.arrived = d.arrived.after(message.getRequestCase(), Messages.endOfStream(message));
    d.bodyArrived |= part == MessagePart.BODY;
    if (busy) {
      parked = message; // read ahead while an event runs: dispatched when it is done
      schedulePump(); // its arrival may make FULL_DUPLEX_STREAMED output flushable
      updateHeld();
      return;
    }
    dispatch(d, message);
  }

  /** Handles the first message: modes, attributes, the handler. Returns false when the exchange failed. */
  private boolean begin(ProcessingRequest message) {
    mode = Modes.initial(config.defaultMode(), message.hasProtocolConfig() ? message.getProtocolConfig() : null);
    initialRequestMode = BodyMode.fromProto(mode.getRequestBodyMode());
    initialResponseMode = BodyMode.fromProto(mode.getResponseBodyMode());
    request.setMode(initialRequestMode);
    response.setMode(initialResponseMode);
    bodyWithoutWaiting = message.hasProtocolConfig()
        && message.getProtocolConfig().getSendBodyWithoutWaitingForHeaderResponse();
    attributes = Map.copyOf(message.getAttributesMap());
    metadataContext = message.getMetadataContext();
    try {
      ExchangeHandler made = service.factory.newProcessor(this);
      if (made == null) {
        throw new NullPointerException("ProcessorFactory returned null (expected: a processor)");
      }
      handler = made;
      request.processor = java.util.Objects.requireNonNull(made.request(), "ExchangeHandler.request()");
      response.processor = java.util.Objects.requireNonNull(made.response(), "ExchangeHandler.response()");
      request.holdsBack = request.processor.holdsBack();
      response.holdsBack = response.processor.holdsBack();
    } catch (Throwable t) {
      log.warn("stream {} failed: the processor factory threw {}", id, t.toString());
      fail(Status.INTERNAL.withDescription("processor factory failed: " + t).withCause(t), ExchangeOutcome.PROCESSOR_ERROR);
      return false;
    }
    telemetry.started();
    return true;
  }

  private void dispatch(DirectionFlow d, ProcessingRequest message) {
    eventDirection = d.direction;
    MessagePart part = Messages.part(message);
    if (part != MessagePart.HEADERS && d.state == DirectionState.IDLE) {
      d.headerAnswered = true; // header mode SKIP: no header reply to wait for
    }
    if (part == MessagePart.HEADERS) {
      onHeadersMessage(d, HttpHeaders.of(Messages.headers(message)), Messages.endOfStream(message));
    } else if (part == MessagePart.BODY) {
      if (d.state.ordinal() < DirectionState.BODY.ordinal()) {
        d.state = DirectionState.BODY;
      }
      d.discipline.onBodyMessage(this, d, Messages.body(message), Messages.endOfStream(message));
    } else {
      onTrailersMessage(d, HttpHeaders.of(Messages.trailers(message)));
    }
    updateHeld();
  }

  private void onHeadersMessage(DirectionFlow d, HttpHeaders headers, boolean endOfStream) {
    d.state = DirectionState.HEADERS;
    d.contentLengthPresent = headers.contains("content-length");
    d.target = DirectionFlow.MutationTarget.HEADERS;
    d.headersEndEvent = endOfStream;
    call(d, MessagePart.HEADERS, false, () -> d.processor.onHeaders(d.ctx, headers, endOfStream), () -> {
      if (endOfStream) {
        handleEnd(d, false, () -> finishHeaders(d, true));
      } else {
        finishHeaders(d, false);
      }
    });
  }

  private void finishHeaders(DirectionFlow d, boolean endOfStream) {
    d.target = DirectionFlow.MutationTarget.NONE_OUTSIDE_EVENT;
    d.headersEndEvent = false;
    if (!d.headersCommitted && !queueHeaderReply(d, endOfStream)) {
      return;
    }
    if (endOfStream) {
      d.state = DirectionState.ENDING;
      d.outputClosed = true;
    }
    eventDone();
  }

  /** Queues the header reply with the mutations made so far; false when the exchange failed. */
  private boolean queueHeaderReply(DirectionFlow d, boolean endOfStream) {
    ByteString body = endOfStream && !d.pending.isEmpty() ? d.pending.takeAll() : null;
    if (body != null && !checkReplySize(d, body.size())) {
      return false;
    }
    ProcessingResponse.Builder reply = Answers.headers(d, body);
    ProcessingMode override = pendingOverride;
    pendingOverride = null;
    if (override != null) {
      reply.setModeOverride(override);
    }
    attachMetadata(reply);
    pump.enqueue(reply.build(), d.direction, MessagePart.HEADERS, body == null ? 0 : body.size(), () -> {
      d.headerAnswered = true;
      if (endOfStream || (d.mode == BodyMode.NONE && d.state == DirectionState.HEADERS)) {
        d.state = DirectionState.ANSWERED; // in NONE the body passes through Envoy: nothing more is owed
      }
      schedulePump();
    });
    if (override != null) {
      mode = Modes.merge(mode, override);
      request.applyMode(BodyMode.fromProto(mode.getRequestBodyMode()));
      response.applyMode(BodyMode.fromProto(mode.getResponseBodyMode()));
    }
    schedulePump();
    return true;
  }

  private void onTrailersMessage(DirectionFlow d, HttpHeaders trailers) {
    d.discipline.beforeTrailers(this, d, () -> {
      d.state = DirectionState.TRAILERS;
      d.target = DirectionFlow.MutationTarget.TRAILERS;
      call(d, MessagePart.TRAILERS, false, () -> d.processor.onTrailers(d.ctx, trailers), () -> finishTrailers(d));
    });
  }

  private void finishTrailers(DirectionFlow d) {
    d.target = DirectionFlow.MutationTarget.NONE_OUTSIDE_EVENT;
    ProcessingResponse.Builder reply = Answers.trailers(d);
    attachMetadata(reply);
    if (d.mode == BodyMode.FULL_DUPLEX_STREAMED) {
      if (!d.pending.isEmpty() && !d.bodyArrived) {
        processorBrokeRule(d, new IllegalStateException(d.label() + " output of " + d.pending.size()
            + " bytes cannot be delivered: FULL_DUPLEX_STREAMED body replies need at least one body message,"
            + " and Envoy sent trailers without one"));
        return;
      }
      d.state = DirectionState.ENDING;
      d.finalTrailers = reply.build(); // sent by the pump after the pending output
      eventDone();
      return;
    }
    if (!d.pending.isEmpty()) {
      processorBrokeRule(d, new IllegalStateException(d.label() + " output of " + d.pending.size()
          + " bytes written after the last body reply (in onEnd or onTrailers) cannot be delivered: in "
          + d.mode + " the trailers reply carries no body, and Envoy sends trailers only after every body"
          + " chunk was answered (expected: write while handling body chunks, or use FULL_DUPLEX_STREAMED or"
          + " BUFFERED for this direction; returning true from DirectionProcessor.holdsBack() cannot help"
          + " when trailers end a STREAMED body)"));
      return;
    }
    d.outputClosed = true;
    d.state = DirectionState.ENDING;
    pump.enqueue(reply.build(), d.direction, MessagePart.TRAILERS, 0, () -> d.state = DirectionState.ANSWERED);
    eventDone();
  }

  // ---------------------------------------------------------------- steps the disciplines use

  ExtProcConfig config() {
    return config;
  }

  /** Hands {@code chunk} to onBody, then runs {@code then}. */
  void handleBody(DirectionFlow d, ByteString chunk, boolean last, Runnable then) {
    d.currentChunk = chunk;
    d.target = d.discipline.bodyTarget();
    call(d, MessagePart.BODY, false, () -> d.processor.onBody(d.ctx, chunk, last), then);
  }

  /** Calls onEnd, then runs {@code then}. */
  void handleEnd(DirectionFlow d, boolean beforeTrailers, Runnable then) {
    d.endCalled = true;
    if (beforeTrailers) {
      d.target = DirectionFlow.MutationTarget.NONE_END_BEFORE_TRAILERS;
    }
    call(d, MessagePart.BODY, true, () -> d.processor.onEnd(d.ctx), then);
  }

  /**
   * Queues the one reply owed to a body message carrying {@code chunk}; returns false when the
   * exchange failed instead (the reply would exceed maxBodyMessageBytes).
   */
  boolean replyBody(DirectionFlow d, ByteString chunk, boolean endOfStream) {
    d.target = DirectionFlow.MutationTarget.NONE_OUTSIDE_EVENT;
    if (d.pending.size() > config.maxBodyMessageBytes()) {
      return checkReplySize(d, d.pending.size());
    }
    Answers.Body answer = Answers.body(d, chunk);
    attachMetadata(answer.reply());
    boolean passesRest = !endOfStream && d.discipline.passesRestThrough();
    if (endOfStream) {
      d.state = DirectionState.ENDING;
      d.outputClosed = true;
    } else if (passesRest) {
      d.state = DirectionState.PASSING_THROUGH; // the rest of the body passes through Envoy unprocessed
    }
    pump.enqueue(answer.reply().build(), d.direction, MessagePart.BODY, answer.bodyBytes(), () -> {
      if (endOfStream && d.state == DirectionState.ENDING) {
        d.state = DirectionState.ANSWERED;
      }
    });
    if (d.currentChunk == chunk) {
      d.currentChunk = null;
    }
    schedulePump();
    return true;
  }

  /** Sends a FULL_DUPLEX_STREAMED body chunk now; {@code last} ends the direction. */
  void sendStreamed(DirectionFlow d, ByteString chunk, boolean last) {
    if (last) {
      d.state = DirectionState.ANSWERED;
      d.outputClosed = true;
    }
    ProcessingResponse.Builder reply = Replies.streamed(d.direction, chunk, last);
    attachMetadata(reply);
    pump.send(reply.build(), d.direction, MessagePart.BODY, chunk.size());
  }

  /** Sends FULL_DUPLEX_STREAMED's trailers reply, after the output. */
  void sendTrailers(DirectionFlow d) {
    ProcessingResponse trailers = d.finalTrailers;
    d.finalTrailers = null;
    d.state = DirectionState.ANSWERED;
    d.outputClosed = true;
    pump.send(trailers, d.direction, MessagePart.TRAILERS, 0);
  }

  /** The current event is over and its replies are queued: the next message may be handled. */
  void eventDone() {
    busy = false;
    request.currentChunk = null;
    response.currentChunk = null;
    ProcessingRequest next = parked;
    if (state == State.OPEN && next != null) {
      parked = null;
      dispatch(Messages.direction(next) == Direction.REQUEST ? request : response, next);
    } else if (state == State.OPEN && (request.lookAheadExpired || response.lookAheadExpired)) {
      DirectionFlow d = request.lookAheadExpired ? request : response;
      eventDirection = d.direction;
      StreamedDiscipline.release(this, d);
    }
    schedulePump();
  }

  /** Keeps {@code chunk} until the direction's next message, or until {@code max} has passed. */
  void holdUntilNextMessage(DirectionFlow d, ByteString chunk, java.time.Duration max) {
    d.lookAhead = chunk;
    d.lookAheadTimer = service.scheduler.schedule(() -> exec.execute(() -> {
      if (state != State.OPEN || d.lookAhead != chunk) {
        return; // handed over already
      }
      d.lookAheadExpired = true;
      if (!busy) {
        busy = true;
        eventDone();
      }
    }), max.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  // ---------------------------------------------------------------- stages and writes

  /**
   * Calls a processor method and runs {@code then} on the executor once its stage completes
   * successfully; a throw or a failed stage fails the exchange.
   */
  private void call(DirectionFlow d, MessagePart part, boolean end, Supplier<CompletionStage<Void>> event, Runnable then) {
    busy = true;
    long started = System.nanoTime();
    CompletionStage<Void> stage;
    try {
      stage = event.get();
      if (stage == null) {
        throw new NullPointerException(Answers.method(part, end) + " returned null (expected: a stage, e.g. Processing.done())");
      }
    } catch (Throwable t) {
      telemetry.processorEvent(d.direction, part, end, started);
      processorFailed(d, Answers.method(part, end), t);
      return;
    }
    stage.whenComplete((ignored, error) -> exec.execute(() -> {
      telemetry.processorEvent(d.direction, part, end, started);
      if (state != State.OPEN) {
        return;
      }
      if (error != null) {
        processorFailed(d, Answers.method(part, end), error);
      } else {
        then.run();
      }
    }));
  }

  /** Runs {@code task} now when on the executor, else queues it there. */
  void runOnExecutor(Runnable task) {
    if (exec.isCurrent()) {
      task.run();
    } else {
      exec.execute(task);
    }
  }

  boolean isOpen() {
    return state == State.OPEN;
  }

  /** A write, on the executor: counts it against the budget and completes {@code done} when there is room. */
  void write(DirectionFlow d, ByteString data, CompletableFuture<Void> done) {
    if (state != State.OPEN) {
      done.completeExceptionally(new CancellationException("exchange " + id + " ended"));
      return;
    }
    if (!d.writable()) {
      IllegalStateException error = new IllegalStateException(d.label() + " output is closed on stream " + id
          + " (rule: nothing may be written after a direction's end was answered)");
      log.warn("stream {} {}", id, error.getMessage());
      done.completeExceptionally(error);
      return;
    }
    d.pending.add(data);
    if (!d.discipline.writesWaitForBudget() || d.headersEndEvent) {
      // One reply per Envoy message: the output goes into the reply owed now; waiting would deadlock.
      if (d.pending.size() > config.maxBodyMessageBytes()) {
        checkReplySize(d, d.pending.size());
        done.completeExceptionally(new IllegalStateException(failure));
        return;
      }
      updateHeld();
      done.complete(null);
      return;
    }
    long unsent = d.pendingOutput();
    if (unsent > 3L * config.maxPendingOutputBytes()) {
      processorBrokeRule(d, new IllegalStateException(d.label() + " holds " + unsent + " bytes of "
          + d.mode + " output not yet sent on stream " + id + ", over 3 × maxPendingOutputBytes "
          + 3L * config.maxPendingOutputBytes() + " (rule: wait for each write's stage before writing more)"));
      done.completeExceptionally(new IllegalStateException(failure));
      return;
    }
    updateHeld();
    schedulePump();
    if (heldOutput() <= config.maxPendingOutputBytes()) {
      done.complete(null);
      return;
    }
    pump.await(done);
    if (d.target == DirectionFlow.MutationTarget.HEADERS && !d.headerAnswered && !d.headersCommitted) {
      // Nothing can flush before the header reply is out and Envoy sent a body message: commit the
      // headers now and read one message ahead (maybeRequestNext), or the writer waits forever.
      d.headersCommitted = true;
      queueHeaderReply(d, false);
    }
  }

  /** Output written and not yet handed to gRPC: what the budget bounds. */
  private long heldOutput() {
    return pump.queuedBytes() + request.pendingOutput() + response.pendingOutput();
  }

  /** Output gRPC could take now: queued replies and FULL_DUPLEX_STREAMED output it may send. */
  private long deliverableOutput() {
    return pump.queuedBytes() + request.deliverable() + response.deliverable();
  }

  private void updateHeld() {
    ProcessingRequest read = parked;
    telemetry.held(heldOutput() + request.inboundHeld() + response.inboundHeld()
        + (read == null ? 0 : Messages.body(read).size()));
  }

  private boolean checkReplySize(DirectionFlow d, long size) {
    if (size > config.maxBodyMessageBytes()) {
      processorBrokeRule(d, new IllegalStateException(d.label() + " reply body: " + size + " bytes for one "
          + d.mode + " message (expected: <= maxBodyMessageBytes " + config.maxBodyMessageBytes()
          + "; only FULL_DUPLEX_STREAMED can emit more than one message's worth)"));
      return false;
    }
    return true;
  }

  private void attachMetadata(ProcessingResponse.Builder reply) {
    if (pendingMetadata != null) {
      reply.setDynamicMetadata(pendingMetadata);
      pendingMetadata = null;
    }
  }

  // ---------------------------------------------------------------- outbound

  private void schedulePump() {
    if (!pumpScheduled) {
      pumpScheduled = true;
      exec.execute(() -> {
        pumpScheduled = false;
        pump();
      });
    }
  }

  /** Sends what may be sent while gRPC is ready, releases write stages, then finishes or reads on. */
  private void pump() {
    if (state == State.CLOSED) {
      return;
    }
    while (pump.isReady()) {
      if (pump.sendQueued()) {
        continue;
      }
      if (state == State.OPEN
          && (request.discipline.emitNext(this, request) || response.discipline.emitNext(this, response))) {
        continue;
      }
      break;
    }
    updateHeld();
    if (heldOutput() <= config.maxPendingOutputBytes()) {
      pump.releaseWaiters();
    }
    if (!maybeFinish()) {
      maybeRequestNext();
    }
  }

  private void maybeRequestNext() {
    if (state != State.OPEN || pump.requested() || halfClosed || parked != null) {
      return;
    }
    if (busy) {
      // Read ahead only when output waits for Envoy's first body message, or nothing could move.
      if (pump.hasWaiters() && (request.awaitsFirstBody() || response.awaitsFirstBody())) {
        pump.request();
      }
      return;
    }
    if (!pump.isReady() || deliverableOutput() >= config.maxPendingOutputBytes()) {
      telemetry.inboundPaused(); // the on-ready handler and the pump come back here
      return;
    }
    telemetry.inboundResumed();
    pump.request();
  }

  /** Ends the call when nothing more can happen on it; returns whether it did. */
  private boolean maybeFinish() {
    if (state == State.IMMEDIATE && pump.queueEmpty()) {
      pump.complete();
      close(immediateOutcome);
      return true;
    }
    if (state == State.OPEN && halfClosed && !busy && parked == null && pump.queueEmpty()
        && !request.duplexWorkLeft() && !response.duplexWorkLeft()) {
      pump.complete();
      close(answered(request) && answered(response) ? ExchangeOutcome.COMPLETED : ExchangeOutcome.CANCELLED);
      return true;
    }
    return false;
  }

  private static boolean answered(DirectionFlow d) {
    return d.state == DirectionState.IDLE || d.state.answered();
  }

  /** Whether the processing mode says Envoy will send this direction's headers. */
  private boolean expected(DirectionFlow d) {
    HeaderSendMode headerMode = d.direction == Direction.REQUEST ? mode.getRequestHeaderMode() : mode.getResponseHeaderMode();
    return headerMode != HeaderSendMode.SKIP;
  }

  // ---------------------------------------------------------------- termination

  private void respond(ImmediateResponse immediate, ExchangeOutcome outcome) {
    if (state != State.OPEN) {
      return;
    }
    state = State.IMMEDIATE;
    immediateOutcome = outcome;
    request.dropOutput();
    response.dropOutput();
    parked = null;
    pump.clear(id);
    telemetry.immediateResponse();
    ProcessingResponse.Builder reply = Replies.immediate(immediate);
    attachMetadata(reply);
    pump.enqueue(reply.build(), eventDirection, MessagePart.IMMEDIATE_RESPONSE, immediate.body().size(), () -> {});
    log.debug("stream {} immediate response status={} from {}", id, immediate.status(), eventDirection.label());
    schedulePump();
  }

  private void processorFailed(DirectionFlow d, String method, Throwable error) {
    if (state != State.OPEN) {
      return;
    }
    Throwable cause = unwrap(error);
    String description = "processor failed in " + method + " (" + d.label() + "): " + cause;
    if (config.processorErrorPolicy() == ProcessorErrorPolicy.IMMEDIATE_500) {
      log.warn("stream {} {}; answering 500", id, description);
      busy = false;
      failure = description;
      respond(ImmediateResponse.of(500).withDetails("ext_proc_processor_error"), ExchangeOutcome.PROCESSOR_ERROR);
      return;
    }
    log.warn("stream {} {}", id, description);
    fail(Status.INTERNAL.withDescription(description).withCause(cause), ExchangeOutcome.PROCESSOR_ERROR);
  }

  /** A processor broke an output rule: the exchange fails with INTERNAL naming the rule, logged. */
  void processorBrokeRule(DirectionFlow d, IllegalStateException error) {
    if (state != State.OPEN) {
      return;
    }
    log.warn("stream {} failed: {}", id, error.getMessage());
    fail(Status.INTERNAL.withDescription(error.getMessage()), ExchangeOutcome.PROCESSOR_ERROR);
  }

  private void protocolError(InboundRules.Violation violation) {
    log.warn("stream {} protocol error from client: {}", id, violation.description());
    fail(violation.status(), ExchangeOutcome.PROTOCOL_ERROR);
  }

  private void fail(Status status, ExchangeOutcome outcome) {
    if (state == State.CLOSED) {
      return;
    }
    failure = status.getDescription();
    close(outcome, status);
  }

  private void onCancelled(boolean deadlineExpired) {
    if (state == State.CLOSED) {
      return;
    }
    if (state == State.IMMEDIATE) {
      close(immediateOutcome);
      return;
    }
    if (deadlineExpired) {
      failure = "the gRPC deadline expired";
      close(ExchangeOutcome.DEADLINE_EXCEEDED);
      return;
    }
    boolean complete = mode != null && !busy && parked == null
        && (request.state == DirectionState.IDLE ? !expected(request) : request.state.answered())
        && (response.state == DirectionState.IDLE ? !expected(response) : response.state.answered());
    telemetry.envoyCancelled(complete);
    close(complete ? ExchangeOutcome.COMPLETED : ExchangeOutcome.CANCELLED);
  }

  private void onUncaught(Throwable t) {
    log.error("stream {} engine error", id, t);
    fail(Status.INTERNAL.withDescription("ext_proc engine error: " + t).withCause(t), ExchangeOutcome.INTERNAL_ERROR);
  }

  private void close(ExchangeOutcome outcome) {
    close(outcome, null);
  }

  /**
   * Releases everything the stream holds and reports its outcome, exactly once; ends the call
   * with {@code status} when not null, after counting (whoever sees the status sees it counted).
   */
  private void close(ExchangeOutcome outcome, @Nullable Status status) {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    pump.clear(id);
    request.dropOutput();
    response.dropOutput();
    parked = null;
    telemetry.ended(outcome);
    if (status != null) {
      pump.fail(status, id);
    }
    if (handler != null) {
      try {
        handler.onClose(outcome);
      } catch (Throwable t) {
        log.warn("stream {} processor onClose threw {}", id, t.toString());
      }
    }
    telemetry.closed(outcome, request.mode, response.mode, outcome.isFailure() ? failure : null);
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof java.util.concurrent.CompletionException
            || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
