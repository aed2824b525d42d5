package dev.extproc.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ExchangeInfo;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExchangeProcessor;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcConfig.ProcessorErrorPolicy;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ext_proc gRPC stream, i.e. one HTTP exchange. Every field is touched only on {@link #exec},
 * the stream's serial executor, except where marked volatile (read by processor threads for
 * early argument checks).
 *
 * <p>Inbound flow control: auto-request is off; the next message is requested only when the
 * processor's stage for the previous one has completed, the call is ready for output and the
 * deliverable output held is under {@code maxPendingOutputBytes}. Outbound: replies go out only
 * while {@code isReady()}; the on-ready handler resumes.
 */
final class Exchange implements StreamObserver<ProcessingRequest>, dev.extproc.ExchangeContext {
  private static final Logger log = LoggerFactory.getLogger(Exchange.class);

  private enum State { OPEN, IMMEDIATE, CLOSED }

  private final ServiceState service;
  private final ExtProcConfig config;
  private final StatsImpl stats;
  private final ServerCallStreamObserver<ProcessingResponse> out;
  private final SerialExecutor exec;
  private final String id;
  private final Instant startTime = Instant.now();
  private final long startNanos = System.nanoTime();
  final Side request;
  final Side response;

  /** Replies built but not yet handed to gRPC (waiting for isReady), in order. */
  private final ArrayDeque<Outbound> outbound = new ArrayDeque<>();
  private long outboundBytes;
  /** FULL_DUPLEX_STREAMED write stages waiting for the output held to drop under the bound. */
  private final List<CompletableFuture<Void>> writeWaiters = new ArrayList<>();

  private volatile State state = State.OPEN;
  private ExchangeOutcome immediateOutcome = ExchangeOutcome.IMMEDIATE_RESPONSE;
  private ExchangeProcessor processor;
  private ProcessingMode mode;
  private volatile BodyMode initialRequestMode = BodyMode.NONE;
  private volatile BodyMode initialResponseMode = BodyMode.NONE;
  private Map<String, Struct> attributes = Map.of();
  private Metadata metadataContext = Metadata.getDefaultInstance();
  private boolean firstMessageSeen;
  /** Envoy sends bodies before the header reply (and then ignores mode_override). */
  private volatile boolean bodyWithoutWaiting;
  private boolean busy;
  private boolean requested;
  private boolean halfClosed;
  private boolean pumpScheduled;
  private ProcessingMode pendingOverride;
  private Struct pendingMetadata;

  private long inboundHeld;
  /** The body chunk being processed, so that writing it back is not counted twice. */
  private ByteString inboundChunk;
  private long heldReported;
  private long peakHeld;
  private long messagesIn;
  private long messagesOut;
  private long bodyBytesIn;
  private long bodyBytesOut;

  Exchange(ServiceState service, ServerCallStreamObserver<ProcessingResponse> out) {
    this.service = service;
    this.config = service.config;
    this.stats = service.stats;
    this.out = out;
    this.id = service.ids.next();
    this.exec = new SerialExecutor(this::onUncaught);
    this.request = new Side(Direction.REQUEST);
    this.response = new Side(Direction.RESPONSE);
  }

  /** Wires flow control and cancellation; called from the gRPC handler before it returns. */
  void start() {
    stats.streamsStarted.increment();
    stats.activeStreams.incrementAndGet();
    out.disableAutoRequest();
    out.setOnReadyHandler(() -> exec.execute(this::pump));
    out.setOnCancelHandler(() -> exec.execute(this::onCancelled));
    // The first message is always wanted (nothing is queued yet); later ones go through maybeRequestNext.
    requested = true;
    out.request(1);
  }

  // ---------------------------------------------------------------- ExchangeInfo

  @Override
  public String id() {
    return id;
  }

  @Override
  public Instant startTime() {
    return startTime;
  }

  @Override
  public BodyMode initialBodyMode(Direction direction) {
    return direction == Direction.REQUEST ? initialRequestMode : initialResponseMode;
  }

  @Override
  public Map<String, Struct> attributes() {
    return attributes;
  }

  @Override
  public Metadata metadataContext() {
    return metadataContext;
  }

  @Override
  public ScheduledExecutorService scheduler() {
    return service.scheduler;
  }

  @Override
  public String toString() {
    return "Exchange[" + id + "]";
  }

  @Override
  public void respond(ImmediateResponse immediate) {
    request.ctx.respond(immediate);
  }

  @Override
  public void overrideMode(ProcessingMode override) {
    (response.target == Target.HEADERS ? response : request).ctx.overrideMode(override);
  }

  @Override
  public void setDynamicMetadata(Struct metadata) {
    request.ctx.setDynamicMetadata(metadata);
  }

  @Override
  public void putMetadata(String namespace, String key, Object value) {
    setDynamicMetadata(MetadataValues.single(namespace, key, value));
  }

  // ---------------------------------------------------------------- inbound (gRPC callbacks)

  @Override
  public void onNext(ProcessingRequest message) {
    exec.execute(() -> handle(message));
  }

  @Override
  public void onError(Throwable t) {
    exec.execute(this::onCancelled);
  }

  @Override
  public void onCompleted() {
    exec.execute(() -> {
      halfClosed = true;
      maybeFinish();
    });
  }

  private void handle(ProcessingRequest message) {
    requested = false;
    if (state != State.OPEN) {
      return; // after an immediate response or a failure, later messages are ignored
    }
    messagesIn++;
    stats.messagesReceived.increment();
    int size = message.getSerializedSize();
    if (size > config.maxInboundMessageBytes()) {
      // gRPC's own limit catches this first on real transports; this keeps every transport equal.
      protocolError(Status.RESOURCE_EXHAUSTED,
          "ProcessingRequest of " + size + " bytes (rule: at most maxInboundMessageBytes "
              + config.maxInboundMessageBytes() + " per message)");
      return;
    }
    if (!firstMessageSeen) {
      firstMessageSeen = true;
      mode = Modes.initial(config.defaultMode(), message.hasProtocolConfig() ? message.getProtocolConfig() : null);
      initialRequestMode = BodyMode.fromProto(mode.getRequestBodyMode());
      initialResponseMode = BodyMode.fromProto(mode.getResponseBodyMode());
      request.mode = initialRequestMode;
      response.mode = initialResponseMode;
      bodyWithoutWaiting = message.hasProtocolConfig()
          && message.getProtocolConfig().getSendBodyWithoutWaitingForHeaderResponse();
      attributes = Map.copyOf(message.getAttributesMap());
      metadataContext = message.getMetadataContext();
      try {
        dev.extproc.ExchangeHandler handler = service.factory.newProcessor(this);
        if (handler == null) {
          throw new NullPointerException("ProcessorFactory returned null (expected: a processor)");
        }
        processor = LegacyBridge.asProcessor(handler);
      } catch (Throwable t) {
        log.warn("stream {} failed: the processor factory threw {}", id, t.toString());
        fail(Status.INTERNAL.withDescription("processor factory failed: " + t).withCause(t));
        return;
      }
    }
    switch (message.getRequestCase()) {
      case REQUEST_HEADERS:
        onHeadersMessage(request, message.getRequestHeaders());
        break;
      case RESPONSE_HEADERS:
        onHeadersMessage(response, message.getResponseHeaders());
        break;
      case REQUEST_BODY:
        onBodyMessage(request, message.getRequestBody());
        break;
      case RESPONSE_BODY:
        onBodyMessage(response, message.getResponseBody());
        break;
      case REQUEST_TRAILERS:
        onTrailersMessage(request, message.getRequestTrailers());
        break;
      case RESPONSE_TRAILERS:
        onTrailersMessage(response, message.getResponseTrailers());
        break;
      case REQUEST_NOT_SET:
      default:
        protocolError(Status.INVALID_ARGUMENT,
            "ProcessingRequest with no request set (rule: every message carries exactly one of"
                + " request_headers, response_headers, request_body, response_body, request_trailers,"
                + " response_trailers)");
        break;
    }
  }

  private void onHeadersMessage(Side side, io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders message) {
    String what = side.label() + "_headers";
    if (side.bodySeen || side.trailersSeen) {
      protocolError(Status.FAILED_PRECONDITION,
          what + " received after " + side.label() + (side.trailersSeen ? " trailers" : " body started")
              + " (rule: headers must come first in a direction)");
      return;
    }
    if (side.headersSeen) {
      protocolError(Status.FAILED_PRECONDITION,
          what + " received twice (rule: one headers message per direction)");
      return;
    }
    side.headersSeen = true;
    side.started = true;
    HttpHeaders headers = HttpHeaders.of(message.getHeaders());
    side.contentLengthPresent = headers.contains("content-length");
    boolean endOfStream = message.getEndOfStream();
    side.target = Target.HEADERS;
    side.headersEndEvent = endOfStream;
    runStage(side, "onHeaders", () -> processor.onHeaders(side.ctx, headers, endOfStream), () -> {
      if (endOfStream) {
        runStage(side, "onEnd", () -> {
          side.endCalled = true;
          return processor.onEnd(side.ctx);
        }, () -> finishHeaders(side, true));
      } else {
        finishHeaders(side, false);
      }
    });
  }

  private void onBodyMessage(Side side, HttpBody message) {
    String what = side.label() + "_body";
    if (side.ended) {
      protocolError(Status.FAILED_PRECONDITION,
          what + " received after the " + side.label() + " direction ended (rule: nothing follows"
              + " end_of_stream in a direction)");
      return;
    }
    if (side.trailersSeen) {
      protocolError(Status.FAILED_PRECONDITION,
          what + " received after " + side.label() + "_trailers (rule: trailers end a direction)");
      return;
    }
    if (side.mode == BodyMode.NONE) {
      protocolError(Status.FAILED_PRECONDITION,
          what + " received in body mode NONE (rule: no body messages when the body mode is NONE;"
              + " check protocol_config or the server's default body mode)");
      return;
    }
    if ((side.mode == BodyMode.BUFFERED || side.mode == BodyMode.BUFFERED_PARTIAL) && side.bodySeen) {
      protocolError(Status.FAILED_PRECONDITION,
          "second " + what + " message in body mode " + side.mode
              + " (rule: one body message in BUFFERED and BUFFERED_PARTIAL)");
      return;
    }
    if (!side.headersSeen) {
      side.headerReplySent = true; // header mode SKIP: no header reply to wait for
    }
    side.bodySeen = true;
    side.started = true;
    ByteString chunk = message.getBody();
    boolean endOfStream = message.getEndOfStream();
    bodyBytesIn += chunk.size();
    inboundHeld = chunk.size();
    inboundChunk = chunk;
    updateHeld();
    BodyMode bodyMode = side.mode;
    boolean buffered = bodyMode == BodyMode.BUFFERED || bodyMode == BodyMode.BUFFERED_PARTIAL;
    boolean wholeBody = bodyMode == BodyMode.BUFFERED || (bodyMode == BodyMode.BUFFERED_PARTIAL && endOfStream);
    boolean callEnd = endOfStream || wholeBody;
    side.target = buffered ? Target.BODY_HEADERS : Target.NONE_STREAMING_BODY;
    Runnable afterBody = callEnd
        ? () -> runStage(side, "onEnd", () -> {
              side.endCalled = true;
              return processor.onEnd(side.ctx);
            }, () -> finishBody(side, chunk, endOfStream))
        : () -> finishBody(side, chunk, endOfStream);
    if (bodyMode == BodyMode.FULL_DUPLEX_STREAMED) {
      schedulePump(); // output written before the first body message may go out now
    }
    if (chunk.isEmpty()) {
      busy = true;
      afterBody.run();
    } else {
      runStage(side, "onBody", () -> processor.onBody(side.ctx, chunk), afterBody);
    }
  }

  private void onTrailersMessage(Side side, HttpTrailers message) {
    String what = side.label() + "_trailers";
    if (side.trailersSeen) {
      protocolError(Status.FAILED_PRECONDITION,
          what + " received twice (rule: one trailers message per direction)");
      return;
    }
    if (side.ended) {
      protocolError(Status.FAILED_PRECONDITION,
          what + " received after the " + side.label() + " direction ended (rule: nothing follows"
              + " end_of_stream in a direction)");
      return;
    }
    if (!side.headersSeen) {
      side.headerReplySent = true; // header mode SKIP: no header reply to wait for
    }
    side.trailersSeen = true;
    side.headerReplySent |= !side.headersSeen; // header mode SKIP: no header reply is owed before the trailers reply
    side.started = true;
    side.complete = false; // owed: the trailers reply
    HttpHeaders trailers = HttpHeaders.of(message.getTrailers());
    boolean callEnd = !side.endCalled && side.mode != BodyMode.NONE && !side.partialDone;
    Runnable trailersStep = () -> {
      side.target = Target.TRAILERS;
      runStage(side, "onTrailers", () -> processor.onTrailers(side.ctx, trailers), () -> finishTrailers(side));
    };
    if (callEnd) {
      side.target = Target.NONE_END_BEFORE_TRAILERS;
      runStage(side, "onEnd", () -> {
        side.endCalled = true;
        return processor.onEnd(side.ctx);
      }, trailersStep);
    } else {
      busy = true;
      trailersStep.run();
    }
  }

  // ---------------------------------------------------------------- stages

  /**
   * Calls a processor method and runs {@code then} on the executor once its stage completes
   * successfully; a throw or a failed stage fails the exchange.
   */
  private void runStage(Side side, String method, Supplier<CompletionStage<Void>> call, Runnable then) {
    busy = true;
    CompletionStage<Void> stage;
    try {
      stage = call.get();
      if (stage == null) {
        throw new NullPointerException(method + " returned null (expected: a stage, e.g. Processing.done())");
      }
    } catch (Throwable t) {
      processorFailed(side, method, t);
      return;
    }
    stage.whenComplete((ignored, error) -> exec.execute(() -> {
      if (state != State.OPEN) {
        return;
      }
      if (error != null) {
        processorFailed(side, method, error);
      } else {
        then.run();
      }
    }));
  }

  /** Called when the reply for the current message has been queued: the next message may be read. */
  private void eventDone() {
    busy = false;
    inboundHeld = 0;
    inboundChunk = null;
    schedulePump();
  }

  private void finishHeaders(Side side, boolean endOfStream) {
    side.target = Target.NONE_OUTSIDE_EVENT;
    side.headersEndEvent = false;
    Replies.Common common = new Replies.Common(side.takeMutation());
    long bodyBytes = 0;
    if (endOfStream) {
      if (!side.pending.isEmpty()) {
        ByteString body = side.pending.takeAll();
        if (!checkReplySize(side, body.size())) {
          return;
        }
        common.replaceBody(body);
        bodyBytes = body.size();
      }
      side.ended = true;
      side.outputClosed = true;
    }
    ProcessingResponse.Builder reply = Replies.headers(side.direction, common);
    ProcessingMode override = pendingOverride;
    pendingOverride = null;
    if (override != null) {
      reply.setModeOverride(override);
    }
    attachMetadata(reply);
    enqueue(reply.build(), bodyBytes, () -> {
      side.headerReplySent = true;
      if (endOfStream || (side.mode == BodyMode.NONE && !side.trailersSeen)) {
        side.complete = true; // in NONE the body passes through Envoy: nothing more is owed
      }
    });
    if (override != null) {
      applyOverride(override);
    }
    eventDone();
  }

  private void finishBody(Side side, ByteString chunk, boolean endOfStream) {
    side.target = Target.NONE_OUTSIDE_EVENT;
    if (side.mode == BodyMode.FULL_DUPLEX_STREAMED) {
      if (endOfStream) {
        side.ended = true;
        side.endComplete = true;
      }
      eventDone();
      return;
    }
    Replies.Common common = new Replies.Common(side.takeMutation());
    long bodyBytes = 0;
    boolean changed = false;
    long newLength = 0;
    if (side.pending.isExactly(chunk) && !chunk.isEmpty()) {
      side.pending.clear(); // passed through unchanged: no mutation, no copy back
    } else if (side.pending.isEmpty()) {
      if (!chunk.isEmpty()) {
        common.clearBody();
        changed = true;
      }
    } else {
      ByteString body = side.pending.takeAll();
      if (!checkReplySize(side, body.size())) {
        return;
      }
      common.body(body);
      bodyBytes = body.size();
      newLength = body.size();
      changed = true;
    }
    if (changed && side.mode == BodyMode.BUFFERED && side.contentLengthPresent) {
      // Envoy keeps content-length in BUFFERED and answers 500 when it disagrees with the body.
      common.setContentLength(newLength);
    }
    if (endOfStream) {
      side.ended = true;
      side.outputClosed = true;
    } else if (side.mode == BodyMode.BUFFERED_PARTIAL) {
      side.partialDone = true; // the rest of the body passes through Envoy unprocessed
    }
    ProcessingResponse.Builder reply = Replies.body(side.direction, common);
    attachMetadata(reply);
    boolean partialDone = side.partialDone;
    enqueue(reply.build(), bodyBytes, () -> {
      if ((endOfStream || partialDone) && !side.trailersSeen) {
        side.complete = true; // after BUFFERED_PARTIAL's message the rest passes through Envoy
      }
    });
    eventDone();
  }

  private void finishTrailers(Side side) {
    side.target = Target.NONE_OUTSIDE_EVENT;
    side.ended = true;
    ProcessingResponse.Builder reply = Replies.trailers(side.direction, side.takeMutation());
    attachMetadata(reply);
    if (side.mode == BodyMode.FULL_DUPLEX_STREAMED) {
      if (!side.pending.isEmpty() && !side.bodySeen) {
        failInternal(side.label() + " output of " + side.pending.size() + " bytes cannot be delivered:"
            + " FULL_DUPLEX_STREAMED body replies need at least one body message, and Envoy sent"
            + " trailers without one");
        return;
      }
      side.endComplete = true;
      side.finalTrailers = reply.build(); // sent by pump() after the pending output
      eventDone();
      return;
    }
    if (!side.pending.isEmpty()) {
      failInternal(side.label() + " output of " + side.pending.size() + " bytes written after the last"
          + " body reply (in onEnd or onTrailers) cannot be delivered: in " + side.mode
          + " the trailers reply carries no body (expected: write while handling body chunks)");
      return;
    }
    side.outputClosed = true;
    enqueue(reply.build(), 0, () -> side.complete = true);
    eventDone();
  }

  private boolean checkReplySize(Side side, long size) {
    if (size > config.maxBodyMessageBytes()) {
      failInternal(side.label() + " reply body: " + size + " bytes for one message (expected: <="
          + " maxBodyMessageBytes " + config.maxBodyMessageBytes() + "; only FULL_DUPLEX_STREAMED"
          + " can emit more than one message's worth)");
      return false;
    }
    return true;
  }

  private void applyOverride(ProcessingMode override) {
    mode = Modes.merge(mode, override);
    request.applyMode(BodyMode.fromProto(mode.getRequestBodyMode()));
    response.applyMode(BodyMode.fromProto(mode.getResponseBodyMode()));
  }

  private void attachMetadata(ProcessingResponse.Builder reply) {
    if (pendingMetadata != null) {
      reply.setDynamicMetadata(pendingMetadata);
      pendingMetadata = null;
    }
  }

  // ---------------------------------------------------------------- outbound

  private record Outbound(ProcessingResponse message, long bodyBytes, Runnable onSent) {}

  private void enqueue(ProcessingResponse message, long bodyBytes, Runnable onSent) {
    outbound.addLast(new Outbound(message, bodyBytes, onSent));
    outboundBytes += bodyBytes;
    schedulePump();
  }

  private void schedulePump() {
    if (!pumpScheduled) {
      pumpScheduled = true;
      exec.execute(() -> {
        pumpScheduled = false;
        pump();
      });
    }
  }

  /** Sends what may be sent while the call is ready, then reads on or finishes. */
  private void pump() {
    if (state == State.CLOSED) {
      return;
    }
    while (out.isReady()) {
      Outbound next = outbound.pollFirst();
      if (next != null) {
        outboundBytes -= next.bodyBytes();
        send(next.message(), next.bodyBytes());
        next.onSent().run();
        continue;
      }
      if (state == State.OPEN && (emitDuplex(request) || emitDuplex(response))) {
        continue;
      }
      break;
    }
    updateHeld();
    releaseWriteWaiters();
    if (maybeFinish()) {
      return;
    }
    maybeRequestNext();
  }

  /** Sends one FULL_DUPLEX_STREAMED reply for {@code side} if one is due; returns whether it did. */
  private boolean emitDuplex(Side side) {
    if (side.mode != BodyMode.FULL_DUPLEX_STREAMED || side.complete || !side.headerReplySent) {
      return false;
    }
    if (!side.pending.isEmpty()) {
      if (!side.bodySeen) {
        return false; // Envoy rejects body replies before its first body message
      }
      ByteString chunk = side.pending.take(config.maxChunkBytes());
      boolean last = side.pending.isEmpty() && side.endComplete && side.finalTrailers == null;
      finalizeDuplex(side, last);
      ProcessingResponse.Builder reply = Replies.streamed(side.direction, chunk, last);
      attachMetadata(reply);
      send(reply.build(), chunk.size());
      return true;
    }
    if (!side.endComplete) {
      return false;
    }
    if (side.finalTrailers != null) {
      ProcessingResponse trailers = side.finalTrailers;
      side.finalTrailers = null;
      finalizeDuplex(side, true);
      send(trailers, 0);
      return true;
    }
    finalizeDuplex(side, true);
    ProcessingResponse.Builder reply = Replies.streamed(side.direction, ByteString.EMPTY, true);
    attachMetadata(reply);
    send(reply.build(), 0);
    return true;
  }

  private static void finalizeDuplex(Side side, boolean last) {
    if (last) {
      side.complete = true;
      side.outputClosed = true;
    }
  }

  private void send(ProcessingResponse message, long bodyBytes) {
    out.onNext(message);
    messagesOut++;
    bodyBytesOut += bodyBytes;
    stats.messagesSent.increment();
  }

  /** Output held that gRPC could take now: queued replies and FULL_DUPLEX output it may send. */
  private long deliverableBytes() {
    return outboundBytes + request.deliverable() + response.deliverable();
  }

  private void releaseWriteWaiters() {
    if (writeWaiters.isEmpty() || deliverableBytes() >= config.maxPendingOutputBytes()) {
      return;
    }
    List<CompletableFuture<Void>> ready = new ArrayList<>(writeWaiters);
    writeWaiters.clear();
    for (CompletableFuture<Void> waiter : ready) {
      waiter.complete(null); // continuations that write again only queue work on exec
    }
  }

  private void maybeRequestNext() {
    if (state != State.OPEN || busy || requested || halfClosed) {
      return;
    }
    if (!out.isReady() || deliverableBytes() >= config.maxPendingOutputBytes()) {
      return; // the on-ready handler calls pump(), which comes back here
    }
    requested = true;
    out.request(1);
  }

  /** Ends the call when nothing more can happen on it; returns whether it did. */
  private boolean maybeFinish() {
    if (state == State.IMMEDIATE && outbound.isEmpty()) {
      out.onCompleted();
      close(immediateOutcome);
      return true;
    }
    if (state == State.OPEN && halfClosed && !busy && outbound.isEmpty()
        && !request.duplexWorkLeft() && !response.duplexWorkLeft()) {
      out.onCompleted();
      close(allStartedComplete() ? ExchangeOutcome.COMPLETED : ExchangeOutcome.CANCELLED);
      return true;
    }
    return false;
  }

  private boolean allStartedComplete() {
    return (!request.started || request.complete) && (!response.started || response.complete);
  }

  // ---------------------------------------------------------------- termination

  private void respond(Side side, ImmediateResponse immediate, ExchangeOutcome outcome) {
    if (state != State.OPEN) {
      return;
    }
    state = State.IMMEDIATE;
    immediateOutcome = outcome;
    request.dropOutput();
    response.dropOutput();
    cancelWriteWaiters();
    stats.immediateResponses.increment();
    ProcessingResponse.Builder reply = Replies.immediate(immediate);
    attachMetadata(reply);
    enqueue(reply.build(), immediate.body().size(), () -> {});
    log.debug("stream {} immediate response status={} from {}", id, immediate.status(), side.label());
  }

  private void processorFailed(Side side, String method, Throwable error) {
    if (state != State.OPEN) {
      return;
    }
    Throwable cause = unwrap(error);
    String description = "processor failed in " + method + " (" + side.label() + "): " + cause;
    if (config.processorErrorPolicy() == ProcessorErrorPolicy.IMMEDIATE_500) {
      log.warn("stream {} {}; answering 500", id, description);
      busy = false;
      respond(side, ImmediateResponse.of(500).withDetails("ext_proc_processor_error"), ExchangeOutcome.PROCESSOR_ERROR);
      return;
    }
    log.warn("stream {} {}", id, description);
    fail(Status.INTERNAL.withDescription(description).withCause(cause));
  }

  private void failInternal(String description) {
    log.warn("stream {} failed: {}", id, description);
    fail(Status.INTERNAL.withDescription(description));
  }

  private void protocolError(Status status, String description) {
    stats.protocolErrors.increment();
    log.warn("stream {} protocol error from client: {}", id, description);
    fail(status.withDescription(description));
  }

  private void fail(Status status) {
    if (state == State.CLOSED) {
      return;
    }
    try {
      out.onError(status.asRuntimeException());
    } catch (RuntimeException e) {
      log.debug("stream {} could not send its error status: {}", id, e.toString());
    }
    Status.Code code = status.getCode();
    close(code == Status.Code.INVALID_ARGUMENT || code == Status.Code.FAILED_PRECONDITION
            || code == Status.Code.RESOURCE_EXHAUSTED
        ? ExchangeOutcome.PROTOCOL_ERROR : ExchangeOutcome.PROCESSOR_ERROR);
  }

  private void onCancelled() {
    if (state == State.CLOSED) {
      return;
    }
    close(state == State.IMMEDIATE ? immediateOutcome
        : allStartedComplete() ? ExchangeOutcome.COMPLETED : ExchangeOutcome.CANCELLED);
  }

  private void onUncaught(Throwable t) {
    log.error("stream {} engine error", id, t);
    fail(Status.INTERNAL.withDescription("ext_proc engine error: " + t).withCause(t));
  }

  /** Releases everything the stream holds and reports its outcome, exactly once. */
  private void close(ExchangeOutcome outcome) {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    outbound.clear();
    outboundBytes = 0;
    request.dropOutput();
    response.dropOutput();
    inboundHeld = 0;
    inboundChunk = null;
    updateHeld();
    cancelWriteWaiters();
    switch (outcome) {
      case COMPLETED:
      case IMMEDIATE_RESPONSE:
        stats.streamsCompleted.increment();
        break;
      case CANCELLED:
        stats.streamsCancelled.increment();
        break;
      default:
        stats.streamsFailed.increment();
        break;
    }
    stats.recordEnd(outcome);
    if (processor != null) {
      try {
        processor.onClose(outcome);
      } catch (Throwable t) {
        log.warn("stream {} processor onClose threw {}", id, t.toString());
      }
    }
    // Last, so that an observer who sees no active stream also sees its outcome counted and its
    // processor closed (capture files, for example).
    stats.activeStreams.decrementAndGet();
    if (log.isDebugEnabled()) {
      log.debug("stream {} closed outcome={} request_mode={} response_mode={} messages_in={} messages_out={}"
              + " body_bytes_in={} body_bytes_out={} peak_bytes_held={} duration_ms={}",
          id, outcome, request.mode, response.mode, messagesIn, messagesOut, bodyBytesIn, bodyBytesOut,
          peakHeld, (System.nanoTime() - startNanos) / 1_000_000);
    }
  }

  private void cancelWriteWaiters() {
    if (writeWaiters.isEmpty()) {
      return;
    }
    List<CompletableFuture<Void>> waiting = new ArrayList<>(writeWaiters);
    writeWaiters.clear();
    for (CompletableFuture<Void> waiter : waiting) {
      waiter.completeExceptionally(new CancellationException("exchange " + id + " ended"));
    }
  }

  private void updateHeld() {
    long held = inboundHeld + outboundBytes + request.pending.size() + response.pending.size();
    if (inboundChunk != null && (request.pending.isExactly(inboundChunk) || response.pending.isExactly(inboundChunk))) {
      held -= inboundChunk.size(); // the chunk written back is the same bytes, held once
    }
    if (held != heldReported) {
      stats.bytesHeld.addAndGet(held - heldReported);
      heldReported = held;
    }
    if (held > peakHeld) {
      peakHeld = held;
      stats.recordPeak(held);
    }
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof java.util.concurrent.CompletionException
            || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  // ---------------------------------------------------------------- per-direction state

  /** Where header mutations made right now go, or why they are refused. */
  enum Target {
    HEADERS,
    BODY_HEADERS,
    TRAILERS,
    NONE_OUTSIDE_EVENT,
    NONE_STREAMING_BODY,
    NONE_END_BEFORE_TRAILERS
  }

  /** The state of one direction. Fields are touched on exec only, except the volatile ones. */
  final class Side {
    final Direction direction;
    final Context ctx;
    final OutputBuffer pending = new OutputBuffer();
    volatile BodyMode mode = BodyMode.NONE;
    volatile Target target = Target.NONE_OUTSIDE_EVENT;
    volatile boolean outputClosed;
    volatile boolean headersEndEvent;
    boolean started;
    boolean headersSeen;
    boolean bodySeen;
    boolean trailersSeen;
    boolean endCalled;
    boolean partialDone;
    /** No more messages may come for this direction. */
    boolean ended;
    /** FULL_DUPLEX_STREAMED: the end event's stage completed; the final reply is due after the output. */
    boolean endComplete;
    /** The direction's final reply was handed to gRPC. */
    boolean complete;
    boolean headerReplySent;
    boolean contentLengthPresent;
    ProcessingResponse finalTrailers;
    private Replies.MutationBuilder mutation;

    Side(Direction direction) {
      this.direction = direction;
      this.ctx = new Context(this);
    }

    String label() {
      return direction.label();
    }

    Replies.MutationBuilder mutation() {
      if (mutation == null) {
        mutation = new Replies.MutationBuilder();
      }
      return mutation;
    }

    Replies.MutationBuilder takeMutation() {
      Replies.MutationBuilder taken = mutation;
      mutation = null;
      return taken;
    }

    void applyMode(BodyMode newMode) {
      if (!bodySeen && !ended) {
        mode = newMode;
      }
    }

    boolean duplexFlushable() {
      return mode == BodyMode.FULL_DUPLEX_STREAMED && bodySeen && headerReplySent && !complete;
    }

    long deliverable() {
      return duplexFlushable() ? pending.size() : 0;
    }

    boolean duplexWorkLeft() {
      return mode == BodyMode.FULL_DUPLEX_STREAMED && headerReplySent && !complete
          && (endComplete || (bodySeen && !pending.isEmpty()));
    }

    void dropOutput() {
      pending.clear();
      mutation = null;
      finalTrailers = null;
      outputClosed = true;
    }

    boolean writable() {
      return !outputClosed && (mode != BodyMode.NONE || headersEndEvent);
    }
  }

  /** The {@link dev.extproc.MessageContext} of one direction. */
  final class Context implements dev.extproc.MessageContext {
    private final Side side;

    Context(Side side) {
      this.side = side;
    }

    @Override
    public Direction direction() {
      return side.direction;
    }

    @Override
    public BodyMode bodyMode() {
      return side.mode;
    }

    @Override
    public dev.extproc.ExchangeContext exchange() {
      return Exchange.this;
    }

    @Override
    public CompletionStage<Void> write(ByteString data) {
      java.util.Objects.requireNonNull(data, "data");
      checkWritable();
      CompletableFuture<Void> done = new CompletableFuture<>();
      if (exec.isCurrent()) {
        doWrite(data, done);
      } else {
        exec.execute(() -> doWrite(data, done));
      }
      return done;
    }

    private void checkWritable() {
      if (side.outputClosed) {
        throw new IllegalStateException(side.label() + " output is closed (its end was already answered,"
            + " or the exchange ended)");
      }
      if (side.mode == BodyMode.NONE && !side.headersEndEvent) {
        throw new IllegalStateException(side.label() + " body mode is NONE: the body passes through Envoy"
            + " and cannot be written (expected: STREAMED, BUFFERED, BUFFERED_PARTIAL or FULL_DUPLEX_STREAMED)");
      }
    }

    private void doWrite(ByteString data, CompletableFuture<Void> done) {
      if (state != State.OPEN) {
        done.completeExceptionally(new CancellationException("exchange " + id + " ended"));
        return;
      }
      if (!side.writable()) {
        done.completeExceptionally(new IllegalStateException(side.label() + " output is closed"));
        return;
      }
      side.pending.add(data);
      updateHeld();
      if (side.mode == BodyMode.FULL_DUPLEX_STREAMED) {
        schedulePump();
        if (!side.duplexFlushable() || deliverableBytes() < config.maxPendingOutputBytes()) {
          done.complete(null);
        } else {
          writeWaiters.add(done);
        }
        return;
      }
      if (side.pending.size() > config.maxBodyMessageBytes()) {
        IllegalStateException error = new IllegalStateException(side.label() + " reply body: "
            + side.pending.size() + " bytes written for one " + side.mode + " reply (expected: <="
            + " maxBodyMessageBytes " + config.maxBodyMessageBytes() + ")");
        failInternal(error.getMessage());
        done.completeExceptionally(error);
        return;
      }
      done.complete(null); // delivered with this message's reply: waiting here would deadlock
    }

    @Override
    public void setHeader(String name, String value) {
      mutate(name, value, false);
    }

    @Override
    public void appendHeader(String name, String value) {
      mutate(name, value, true);
    }

    @Override
    public void removeHeader(String name) {
      mutate(name, null, false);
    }

    private void mutate(String name, String value, boolean append) {
      String key = checkHeaderName(name);
      if (value == null && append) {
        throw new NullPointerException("value");
      }
      if (value != null) {
        checkHeaderValue(key, value);
      }
      Target target = side.target;
      switch (target) {
        case NONE_OUTSIDE_EVENT:
          throw new IllegalStateException("header mutation of " + side.label() + " outside an event"
              + " (expected: in onHeaders, onTrailers, or a BUFFERED body event, before its stage completes)");
        case NONE_STREAMING_BODY:
          throw new IllegalStateException("header mutation during a " + side.mode + " " + side.label()
              + " body event: Envoy has already forwarded the headers and ignores header mutations in"
              + " STREAMED and FULL_DUPLEX_STREAMED body replies (expected: in onHeaders or onTrailers)");
        case NONE_END_BEFORE_TRAILERS:
          throw new IllegalStateException("header mutation in onEnd of " + side.label() + " before its"
              + " trailers: the headers are gone (expected: trailers mutations in onTrailers)");
        default:
          break;
      }
      Runnable apply = () -> {
        if (state != State.OPEN) {
          return;
        }
        if (value == null) {
          side.mutation().remove(key);
        } else {
          side.mutation().set(key, value, append);
        }
        if (key.equals("content-length") && target != Target.TRAILERS) {
          side.contentLengthPresent = value != null;
        }
      };
      if (exec.isCurrent()) {
        apply.run();
      } else {
        exec.execute(apply);
      }
    }

    @Override
    public void respond(ImmediateResponse immediate) {
      java.util.Objects.requireNonNull(immediate, "response");
      Runnable apply = () -> Exchange.this.respond(side, immediate, ExchangeOutcome.IMMEDIATE_RESPONSE);
      if (exec.isCurrent()) {
        apply.run();
      } else {
        exec.execute(apply);
      }
    }

    @Override
    public void overrideMode(ProcessingMode override) {
      java.util.Objects.requireNonNull(override, "mode");
      if (!config.modeOverrideAllowed()) {
        throw new IllegalStateException("overrideMode: mode overrides are disabled (expected:"
            + " ExtProcConfig.modeOverrideAllowed true, matching Envoy's allow_mode_override)");
      }
      if (side.target != Target.HEADERS) {
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
      Runnable apply = () -> pendingOverride = override;
      if (exec.isCurrent()) {
        apply.run();
      } else {
        exec.execute(apply);
      }
    }

    @Override
    public void setDynamicMetadata(Struct metadata) {
      java.util.Objects.requireNonNull(metadata, "metadata");
      Runnable apply = () -> pendingMetadata = MetadataValues.merge(pendingMetadata, metadata);
      if (exec.isCurrent()) {
        apply.run();
      } else {
        exec.execute(apply);
      }
    }

    @Override
    public String toString() {
      return "MessageContext[" + id + " " + side.label() + "]";
    }
  }

  private static String checkHeaderName(String name) {
    java.util.Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("name: \"\" (expected: a header name)");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c <= ' ' || c >= 0x7f || (c == ':' && i > 0)) {
        throw new IllegalArgumentException("name: " + name.strip()
            + " (expected: visible ASCII without spaces; ':' only to start a pseudo-header)");
      }
    }
    return name.toLowerCase(java.util.Locale.ROOT);
  }

  /** Envoy rejects values with CR, LF or NUL (the whole reply then fails the request with 500). */
  private static void checkHeaderValue(String name, String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' || c == '\n' || c == 0) {
        throw new IllegalArgumentException("value of " + name + ": contains CR, LF or NUL at index " + i
            + " (expected: none; Envoy would reject the mutation)");
      }
    }
  }
}
