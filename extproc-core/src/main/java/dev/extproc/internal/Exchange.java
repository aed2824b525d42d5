package dev.extproc.internal;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcConfig.ProcessorErrorPolicy;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import dev.extproc.MessagePart;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ext_proc gRPC stream, i.e. one HTTP exchange: coordination only. Messages are checked by
 * {@link InboundRules} on arrival, dispatched one event at a time (a body message to its mode's
 * {@link BodyDiscipline}), processors' writes are admitted by {@link OutputWrites}, replies are
 * built by {@link Answers} and sent by the {@link OutboundPump}; each direction's state is a {@link
 * DirectionFlow}. Every field is touched only on
 * {@link #exec}, the stream's serial executor, except the volatile ones.
 *
 * <p><b>Flow control.</b> Auto-request is off. The next message is requested when no event runs,
 * gRPC is ready and the deliverable output is under the budget; one message is read ahead while an
 * event runs only when output waits for Envoy's first body message in FULL_DUPLEX_STREAMED (it is
 * parked, checked, and dispatched after the event). A write's stage completes while the stream's
 * output held is at most {@code maxPendingOutputBytes}, except in the one-reply-per-message modes.
 */
final class Exchange implements StreamObserver<Inbound> {
  private static final Logger log = LoggerFactory.getLogger(Exchange.class);

  private final ServiceState service;
  private final ExtProcConfig config;
  private final SerialExecutor exec;
  private final String id;
  private final ExchangeTelemetry telemetry;
  private final OutboundPump pump;
  private final Replier replier;
  private final ExchangeScope scope;
  private final ServerCallStreamObserver<ProcessingResponse> call;
  final DirectionFlow request;
  final DirectionFlow response;

  private final ExchangeEnding ending;
  private final OutputBudget budget;
  private final FlowControl flow;
  private final OutputWrites writes;
  final ProcessorEvents events;
  /** Zero-copy inbound buffers and when each is released. */
  private final InboundLedger ledger;
  private @Nullable ProcessingMode mode;
  /** Envoy half-closed: no more messages come. */
  boolean halfClosed;
  private boolean pumpScheduled;
  /** One task object for every scheduled pump. */
  private final Runnable pumpTask = this::pump;
  /** A message read ahead while an event ran, checked, waiting to be dispatched. */
  @Nullable ProcessingRequest parked;
  private Direction eventDirection = Direction.REQUEST;

  Exchange(ServiceState service, ServerCallStreamObserver<ProcessingResponse> call) {
    this.service = service;
    this.config = service.config;
    this.id = service.ids.next();
    this.exec = new SerialExecutor(id, this::engineError);
    this.scope = new ExchangeScope(this, config, id, service.scheduler);
    this.telemetry = new ExchangeTelemetry(service.stats, service.observer, scope);
    this.pump = new OutboundPump(call, telemetry);
    this.replier = new Replier(pump);
    this.ending = new ExchangeEnding(id, telemetry, pump, this::release, this::modesInForce);
    this.request = new DirectionFlow(Direction.REQUEST, this);
    this.response = new DirectionFlow(Direction.RESPONSE, this);
    this.budget = new OutputBudget(config, pump, request, response);
    this.events = new ProcessorEvents(exec, telemetry, ending, this::processorFailed);
    this.ledger = new InboundLedger(events, pump);
    events.onSettledAfterEnd(ledger::sweep);
    this.flow = new FlowControl(this, pump, budget, ending, telemetry);
    this.writes = new OutputWrites(this, config, ending, budget, pump, replier);
    this.call = call;
  }

  /** Wires flow control and cancellation; called from the gRPC handler before it returns. */
  void start() {
    telemetry.opened();
    call.disableAutoRequest();
    call.setOnReadyHandler(() -> exec.execute(flow::run));
    call.setOnCancelHandler(() -> {
      Deadline deadline = Context.current().getDeadline();
      boolean expired = deadline != null && deadline.isExpired();
      exec.execute(() -> onCancelled(expired));
    });
    pump.request(); // the first message is always wanted
  }

  /** The exchange as processors see it. */
  ExchangeScope scope() {
    return scope;
  }

  private void engineError(Throwable t) {
    ending.engineError(t);
  }

  private BodyMode[] modesInForce() {
    return new BodyMode[] {request.mode, response.mode};
  }

  Replier replier() {
    return replier;
  }

  /** A processor's writes, once on the executor, and the one-reply size rule. */
  OutputWrites writes() {
    return writes;
  }

  String id() {
    return id;
  }

  @Override
  public String toString() {
    return "Exchange[" + id + "]";
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
      flow.maybeFinish();
    });
  }

  private void arrive(Inbound inbound) {
    pump.arrived();
    ledger.arrived(inbound);
    if (!ending.isOpen()) {
      return; // after an immediate response or a failure, later messages are ignored
    }
    ProcessingRequest message = inbound.message();
    if (message == null) {
      telemetry.received(null, null, 0);
      ending.protocolError(InboundRules.unparseable(String.valueOf(inbound.parseError())));
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
      ending.protocolError(violation);
      return;
    }
    d.arrived = d.arrived.after(message.getRequestCase(), Messages.endOfStream(message));
    d.bodyArrived |= part == MessagePart.BODY;
    if (events.running()) {
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
    scope.begin(mode, message);
    request.setMode(scope.initialBodyMode(Direction.REQUEST));
    response.setMode(scope.initialBodyMode(Direction.RESPONSE));
    try {
      ExchangeHandler made = service.factory.newProcessor(scope);
      if (made == null) {
        throw new NullPointerException("ProcessorFactory returned null (expected: a processor)");
      }
      ending.handler(made);
      request.processor = java.util.Objects.requireNonNull(made.request(), "ExchangeHandler.request()");
      response.processor = java.util.Objects.requireNonNull(made.response(), "ExchangeHandler.response()");
      request.holdsBack = request.processor.holdsBack();
      response.holdsBack = response.processor.holdsBack();
      request.borrowsChunks = request.processor.borrowsChunks();
      response.borrowsChunks = response.processor.borrowsChunks();
    } catch (Throwable t) {
      log.warn("stream {} failed: the processor factory threw {}", id, t.toString());
      ending.fail(Status.INTERNAL.withDescription("processor factory failed: " + t).withCause(t), ExchangeOutcome.PROCESSOR_ERROR);
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
      HeaderEvents.onHeaders(this, d, HttpHeaders.of(Messages.headers(message)), Messages.endOfStream(message));
    } else if (part == MessagePart.BODY) {
      if (d.state.ordinal() < DirectionState.BODY.ordinal()) {
        d.state = DirectionState.BODY;
      }
      d.discipline.onBodyMessage(this, d, ledger.handOut(message, d), Messages.endOfStream(message));
    } else {
      HeaderEvents.onTrailers(this, d, HttpHeaders.of(Messages.trailers(message)));
    }
    updateHeld();
  }

  // ---------------------------------------------------------------- steps the disciplines use

  ExtProcConfig config() {
    return config;
  }

  /**
   * Queues the one reply owed to a body message carrying {@code chunk}; returns false when the
   * exchange failed instead (the reply would exceed maxBodyMessageBytes).
   */
  boolean replyBody(DirectionFlow d, ByteString chunk, boolean endOfStream) {
    if (!writes.checkReplySize(d, d.pending.size())) {
      return false;
    }
    replier.queueBody(d, chunk, endOfStream);
    schedulePump();
    return true;
  }

  /** Applies a mode override sent in a header reply, as Envoy does. */
  void applyOverride(ProcessingMode override) {
    mode = Modes.merge(mode, override);
    request.applyMode(BodyMode.fromProto(mode.getRequestBodyMode()));
    response.applyMode(BodyMode.fromProto(mode.getResponseBodyMode()));
  }

  /** The current event is over and its replies are queued: the next message may be handled. */
  void eventDone() {
    events.finished();
    request.currentChunk = null;
    response.currentChunk = null;
    ledger.sweep();
    ProcessingRequest next = parked;
    if (ending.isOpen() && next != null) {
      parked = null;
      dispatch(Messages.direction(next) == Direction.REQUEST ? request : response, next);
    } else if (ending.isOpen() && (request.lookAheadExpired || response.lookAheadExpired)) {
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
      if (!ending.isOpen() || d.lookAhead != chunk) {
        return; // handed over already
      }
      d.lookAheadExpired = true;
      if (!events.running()) {
        eventDone();
      }
    }), max.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  // ---------------------------------------------------------------- the executor

  /** Runs {@code task} now when on the executor, else queues it there. */
  void runOnExecutor(Runnable task) {
    if (exec.isCurrent()) {
      task.run();
    } else {
      exec.execute(task);
    }
  }

  boolean isOpen() {
    return ending.isOpen();
  }

  /** Bytes held changed: reports them, and releases inbound buffers nothing reads any more. */
  void updateHeld() {
    ledger.sweep();
    telemetry.held(budget.bytesHeld(parked));
  }

  // ---------------------------------------------------------------- outbound

  void schedulePump() {
    if (!pumpScheduled) {
      pumpScheduled = true;
      exec.execute(pumpTask);
    }
  }

  private void pump() {
    pumpScheduled = false;
    flow.run();
  }

  // ---------------------------------------------------------------- termination

  /** A processor's immediate response, on the executor. */
  void respond(ImmediateResponse immediate) {
    respond(immediate, ExchangeOutcome.IMMEDIATE_RESPONSE);
  }

  private void respond(ImmediateResponse immediate, ExchangeOutcome outcome) {
    if (!ending.isOpen()) {
      return;
    }
    ending.answering(outcome);
    release();
    pump.clear(id);
    telemetry.immediateResponse();
    replier.queueImmediate(immediate, eventDirection);
    log.debug("stream {} immediate response status={} from {}", id, immediate.status(), eventDirection.label());
    schedulePump();
  }

  /** Drops what the exchange holds: output not yet sent and a parked message; releases inbound buffers. */
  private void release() {
    request.dropOutput();
    response.dropOutput();
    parked = null;
    ledger.end();
  }

  private void processorFailed(DirectionFlow d, String method, Throwable error) {
    if (!ending.isOpen()) {
      return;
    }
    Throwable cause = ExchangeEnding.unwrap(error);
    String description = "processor failed in " + method + " (" + d.label() + "): " + cause;
    if (config.processorErrorPolicy() == ProcessorErrorPolicy.IMMEDIATE_500) {
      log.warn("stream {} {}; answering 500", id, description);
      events.finished();
      ending.failure(description);
      respond(ImmediateResponse.of(500).withDetails("ext_proc_processor_error"), ExchangeOutcome.PROCESSOR_ERROR);
      return;
    }
    log.warn("stream {} {}", id, description);
    ending.fail(Status.INTERNAL.withDescription(description).withCause(cause), ExchangeOutcome.PROCESSOR_ERROR);
  }

  /** A processor broke an output rule: the exchange fails with INTERNAL naming the rule, logged. */
  void processorBrokeRule(DirectionFlow d, IllegalStateException error) {
    ending.processorBrokeRule(error.getMessage());
  }

  private void onCancelled(boolean deadlineExpired) {
    if (ending.state() == ExchangeEnding.State.CLOSED) {
      return;
    }
    if (ending.state() == ExchangeEnding.State.IMMEDIATE) {
      ending.close(ending.immediateOutcome(), null);
      return;
    }
    if (deadlineExpired) {
      ending.failure("the gRPC deadline expired");
      ending.close(ExchangeOutcome.DEADLINE_EXCEEDED, null);
      return;
    }
    // Complete: every direction that started, or that the processing mode says will come, was answered.
    boolean complete = flow.answeredAsExpected(mode);
    telemetry.envoyCancelled(complete);
    ending.close(complete ? ExchangeOutcome.COMPLETED : ExchangeOutcome.CANCELLED, null);
  }
}
