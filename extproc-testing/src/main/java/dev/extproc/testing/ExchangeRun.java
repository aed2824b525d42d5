package dev.extproc.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import dev.extproc.testing.SideStream.Closed;
import dev.extproc.testing.SideStream.Event;
import dev.extproc.testing.SideStream.Ready;
import dev.extproc.testing.SideStream.Reply;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import io.grpc.Channel;
import io.grpc.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * Runs one {@link Exchange} against an ext_proc server, playing Envoy's filter: request direction
 * first, then the response direction. Single-threaded: gRPC callbacks only enqueue events (see
 * {@link SideStream}), this class takes them on the caller's thread.
 */
final class ExchangeRun {

  /** The exchange ended early with a local reply or a reset; the state says which. */
  private static final class Stop extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Stop() {
      super(null, null, false, false);
    }
  }

  /** Envoy stopped using ext_proc (server closed OK, or failed open); the rest passes through. */
  private static final class Bypass extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Bypass() {
      super(null, null, false, false);
    }
  }

  private enum Kind { HEADERS, BODY, TRAILERS }

  private record Pending(Kind kind, ByteString original, int messageIndex) {}

  /** One direction's state: what Envoy holds, what it awaits, what went past the filter. */
  private final class Dir {
    final boolean request;
    final String label;
    Headers headers;
    Headers forwardedHeaders;
    Headers trailers;
    boolean hasTrailers;
    BodySendMode bodyMode;
    HeaderSendMode trailerMode;
    final Deque<Pending> pending = new ArrayDeque<>();
    final BodySink sink;
    Frames frames;
    long outstanding;
    long maxOutstanding;
    boolean replaced;
    boolean complete;
    boolean waitedForHeaderReply;
    boolean firstMessageSent;
    // FULL_DUPLEX_STREAMED
    int bodyChunksSent;
    boolean trailersSent;
    boolean fdsEnded;
    long fdsSent;
    long fdsReceived;

    Dir(boolean request) {
      this.request = request;
      this.label = request ? "request" : "response";
      this.sink = new BodySink(exchange.keepBodyBytes);
    }

    void outstanding(long delta) {
      outstanding += delta;
      maxOutstanding = Math.max(maxOutstanding, outstanding);
    }

    void forwardHeaders() {
      if (forwardedHeaders == null) {
        forwardedHeaders = headers;
      }
    }

    HttpMessage message() {
      return new HttpMessage(forwardedHeaders, sink.capture(), trailers, complete);
    }
  }

  private final Exchange exchange;
  private final Channel channel;
  private final Duration timeout;
  private SideStream stream;
  private ProcessingMode current;
  private Dir active;
  private Dir requestDir;
  private Dir responseDir;
  private boolean extProcDone;
  private boolean ignoreLateReplies;
  private long lastActivityNanos;
  private int sentCount;
  private int receivedCount;
  private final List<ProcessingRequest> sentLog = new ArrayList<>();
  private final List<ProcessingResponse> receivedLog = new ArrayList<>();
  private boolean logComplete = true;
  private long loggedBytes;
  private ImmediateResponse immediate;
  private HttpMessage localReply;
  private String localReplyDetails;
  private boolean downstreamReset;
  private final List<Struct> dynamicMetadata = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private Path spool;
  private FileChannel spoolChannel;

  ExchangeRun(Exchange exchange, Channel channel, Duration timeout) {
    this.exchange = exchange;
    this.channel = channel;
    this.timeout = timeout;
    this.current = exchange.mode;
  }

  ExchangeResult run() {
    boolean ok = false;
    try {
      requestDir = new Dir(true);
      if (exchange.echoRequestBody) {
        spool = Files.createTempFile("fake-envoy-echo", ".body");
        spoolChannel = FileChannel.open(spool, StandardOpenOption.WRITE);
        requestDir.sink.spoolTo(spoolChannel);
      }
      try {
        runDirection(requestDir, exchange.requestHeaders, exchange.requestBody, exchange.requestTrailers);
        BodySource responseBody = exchange.responseBody;
        if (spoolChannel != null) {
          spoolChannel.close();
          spoolChannel = null;
          responseBody = BodySource.ofFile(spool);
        }
        responseDir = new Dir(false);
        runDirection(responseDir, exchange.responseHeaders, responseBody, exchange.responseTrailers);
      } catch (Stop stop) {
        // Local reply or reset recorded in the fields.
      }
      finish();
      ok = true;
      return result();
    } catch (IOException e) {
      throw new UncheckedIOException("FakeEnvoy: cannot spool the echoed body", e);
    } finally {
      for (Dir dir : new Dir[] {requestDir, responseDir}) {
        if (dir != null && dir.frames != null) {
          dir.frames.close();
        }
      }
      if (!ok && stream != null) {
        stream.cancel("FakeEnvoy: exchange failed");
      }
      closeQuietly();
    }
  }

  private void closeQuietly() {
    try {
      if (spoolChannel != null) {
        spoolChannel.close();
      }
      if (spool != null) {
        Files.deleteIfExists(spool);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("FakeEnvoy: cannot delete the echo spool " + spool, e);
    }
  }

  // ---------------------------------------------------------------- directions

  private void runDirection(Dir dir, Headers originalHeaders, BodySource body, Headers trailers) {
    active = dir;
    Headers headers = originalHeaders;
    if (exchange.addContentLength && body.present() && !headers.contains("content-length")) {
      headers = headers.with("content-length", Long.toString(body.length()));
    }
    dir.headers = headers;
    dir.trailers = trailers;
    dir.hasTrailers = trailers != null;
    dir.bodyMode = bodyModeOf(dir);
    dir.trailerMode = trailerModeOf(dir);
    boolean headersEos = !body.present() && trailers == null;
    dir.frames = new Frames(body, exchange.chunkSizes, exchange.framing, dir.hasTrailers);
    try {
      if (extProcDone) {
        throw new Bypass();
      }
      HeaderSendMode headerMode = dir.request ? current.getRequestHeaderMode() : current.getResponseHeaderMode();
      if (headerMode != HeaderSendMode.SKIP) {
        HttpHeaders.Builder msg = HttpHeaders.newBuilder().setHeaders(dir.headers.toProto()).setEndOfStream(headersEos);
        ProcessingRequest.Builder request = ProcessingRequest.newBuilder();
        if (dir.request) {
          request.setRequestHeaders(msg);
        } else {
          request.setResponseHeaders(msg);
        }
        send(request, new Pending(Kind.HEADERS, null, 0));
        boolean waitForHeaderReply = !headersEos
            && dir.bodyMode != BodySendMode.FULL_DUPLEX_STREAMED
            && !(dir.bodyMode == BodySendMode.STREAMED && exchange.sendBodyWithoutWaitingForHeaderResponse);
        dir.waitedForHeaderReply = waitForHeaderReply;
        if (waitForHeaderReply || headersEos) {
          awaitUntil(dir.pending::isEmpty, () -> "the reply to " + dir.label + "_headers");
        }
      } else {
        dropContentLengthIfStreaming(dir, true);
        if (!isHeldUntilBodyReply(dir)) {
          dir.forwardHeaders();
        }
      }
      if (dir.replaced) {
        finishReplaced(dir);
        return;
      }
      if (headersEos) {
        dir.forwardHeaders();
        dir.complete = true;
        return;
      }
      switch (dir.bodyMode) {
        case STREAMED -> streamed(dir);
        case BUFFERED -> buffered(dir, false);
        case BUFFERED_PARTIAL -> buffered(dir, true);
        case FULL_DUPLEX_STREAMED -> fullDuplex(dir);
        default -> none(dir);
      }
      if (dir.replaced) {
        finishReplaced(dir);
        return;
      }
      dir.complete = true;
    } catch (Bypass bypass) {
      passThroughRest(dir);
    } catch (Stop stop) {
      dir.frames.close();
      throw stop;
    }
  }

  private BodySendMode bodyModeOf(Dir dir) {
    BodySendMode mode = dir.request ? current.getRequestBodyMode() : current.getResponseBodyMode();
    return switch (mode) {
      case STREAMED, BUFFERED, BUFFERED_PARTIAL, FULL_DUPLEX_STREAMED -> mode;
      default -> BodySendMode.NONE; // Envoy treats unknown modes (GRPC) like NONE.
    };
  }

  private HeaderSendMode trailerModeOf(Dir dir) {
    return dir.request ? current.getRequestTrailerMode() : current.getResponseTrailerMode();
  }

  private static boolean isHeldUntilBodyReply(Dir dir) {
    return dir.bodyMode == BodySendMode.BUFFERED || dir.bodyMode == BodySendMode.BUFFERED_PARTIAL;
  }

  /** Envoy removes content-length at header time when the body may change length under it. */
  private void dropContentLengthIfStreaming(Dir dir, boolean headersSkipped) {
    boolean drop = switch (dir.bodyMode) {
      case STREAMED, BUFFERED_PARTIAL, FULL_DUPLEX_STREAMED -> true;
      case BUFFERED -> headersSkipped;
      default -> false;
    };
    if (drop && dir.headers.contains("content-length")) {
      dir.headers = dir.headers.without("content-length");
    }
  }

  private void none(Dir dir) {
    awaitUntil(dir.pending::isEmpty, () -> "the reply to " + dir.label + "_headers");
    dir.forwardHeaders();
    Frames.Frame frame;
    while ((frame = dir.frames.next()) != null) {
      dir.sink.write(frame.data());
    }
    trailersPhase(dir);
  }

  private void streamed(Dir dir) {
    boolean first = true;
    while (!dir.replaced) {
      // Watermark: over the buffer limit of unanswered bytes Envoy stops reading until below half.
      if (dir.outstanding > exchange.bufferLimit) {
        long low = exchange.bufferLimit / 2;
        awaitUntil(() -> dir.outstanding <= low || dir.replaced,
            () -> "replies to " + dir.label + "_body (" + dir.outstanding + " unanswered bytes over the "
                + exchange.bufferLimit + "-byte buffer limit)");
        continue;
      }
      Frames.Frame frame;
      if (first && exchange.heldBeforeHeaderReply > 0 && dir.waitedForHeaderReply) {
        // Frames that arrived while the header reply was pending go out as one aggregated chunk.
        frame = dir.frames.aggregate(Math.min(exchange.heldBeforeHeaderReply, exchange.bufferLimit));
      } else {
        frame = dir.frames.next();
      }
      first = false;
      if (frame == null) {
        break;
      }
      sendBody(dir, frame.data(), frame.endOfStream());
      dir.outstanding(frame.data().size());
      pumpAvailable();
    }
    awaitUntil(() -> dir.pending.isEmpty(), () -> "replies to " + dir.label + "_body");
    if (!dir.replaced) {
      trailersPhase(dir);
    }
  }

  private void buffered(Dir dir, boolean partial) {
    awaitUntil(dir.pending::isEmpty, () -> "the reply to " + dir.label + "_headers");
    if (dir.replaced) {
      return;
    }
    if (!partial && dir.frames.length() > exchange.bufferLimit) {
      // Envoy answers locally without sending the body: 413 for a request, 500 for a response.
      dir.frames.close();
      if (dir.request) {
        localReply(413, Headers.empty(), ByteString.copyFromUtf8("Payload Too Large"), "request_payload_too_large");
      } else {
        localReply(500, Headers.empty(), ByteString.copyFromUtf8("Internal Server Error"), "response_payload_too_large");
      }
      throw new Stop();
    }
    ByteString.Output held = ByteString.newOutput();
    boolean end = false;
    Frames.Frame frame;
    while (held.size() <= (partial ? exchange.bufferLimit : Integer.MAX_VALUE) && (frame = dir.frames.next()) != null) {
      try {
        frame.data().writeTo(held);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (dir.frames.done()) {
        end = true;
      }
    }
    if (dir.frames.done()) {
      end = true;
    }
    ByteString bytes = held.toByteString();
    sendBody(dir, bytes, end && !dir.hasTrailers);
    dir.outstanding(bytes.size());
    awaitUntil(dir.pending::isEmpty, () -> "the reply to " + dir.label + "_body");
    if (dir.replaced) {
      return;
    }
    dir.forwardHeaders();
    while ((frame = dir.frames.next()) != null) {
      dir.sink.write(frame.data()); // BUFFERED_PARTIAL: the rest streams through unprocessed.
    }
    trailersPhase(dir);
  }

  private void fullDuplex(Dir dir) {
    while (!dir.replaced && !dir.fdsEnded) {
      awaitReady(dir);
      Frames.Frame frame = dir.frames.next();
      if (frame == null) {
        break;
      }
      sendBody(dir, frame.data(), frame.endOfStream());
      dir.bodyChunksSent++;
      dir.fdsSent += frame.data().size();
      dir.maxOutstanding = Math.max(dir.maxOutstanding, dir.fdsSent - dir.fdsReceived);
      pumpAvailable();
    }
    if (dir.fdsEnded && !dir.frames.done()) {
      notes.add(dir.label + ": server ended the FULL_DUPLEX_STREAMED body before Envoy sent all of it");
    }
    if (dir.hasTrailers && !dir.replaced && !dir.fdsEnded) {
      if (dir.trailerMode == HeaderSendMode.SEND) {
        awaitReady(dir);
        sendTrailers(dir);
        dir.trailersSent = true;
      } else {
        notes.add(dir.label + ": FULL_DUPLEX_STREAMED with trailers SKIP: the server never learns where the body ends");
      }
    }
    awaitUntil(() -> dir.fdsEnded || dir.replaced,
        () -> dir.trailersSent
            ? "the " + dir.label + "_trailers reply that ends the FULL_DUPLEX_STREAMED " + dir.label
            : "a streamed_response with end_of_stream ending the FULL_DUPLEX_STREAMED " + dir.label);
  }

  private void trailersPhase(Dir dir) {
    if (!dir.hasTrailers) {
      return;
    }
    if (dir.trailerMode == HeaderSendMode.SEND && !extProcDone) {
      sendTrailers(dir);
      awaitUntil(dir.pending::isEmpty, () -> "the reply to " + dir.label + "_trailers");
    }
  }

  private void finishReplaced(Dir dir) {
    dir.frames.close();
    dir.complete = true;
  }

  /** Envoy stopped using ext_proc: what it still holds and the rest of the body pass through. */
  private void passThroughRest(Dir dir) {
    dir.forwardHeaders();
    boolean fds = dir.bodyMode == BodySendMode.FULL_DUPLEX_STREAMED;
    if (fds && dir.fdsSent > dir.fdsReceived) {
      notes.add(dir.label + ": " + (dir.fdsSent - dir.fdsReceived)
          + " FULL_DUPLEX_STREAMED bytes sent to the server were never streamed back and are lost");
    }
    for (Pending pending : dir.pending) {
      if (pending.kind() == Kind.BODY && !fds) {
        dir.sink.write(pending.original());
      }
    }
    dir.pending.clear();
    if (!dir.replaced) {
      Frames.Frame frame;
      while ((frame = dir.frames.next()) != null) {
        dir.sink.write(frame.data());
      }
    }
    dir.complete = true;
  }

  // ---------------------------------------------------------------- sending

  private void sendBody(Dir dir, ByteString data, boolean endOfStream) {
    HttpBody body = HttpBody.newBuilder().setBody(data).setEndOfStream(endOfStream).build();
    ProcessingRequest.Builder request = ProcessingRequest.newBuilder();
    if (dir.request) {
      request.setRequestBody(body);
    } else {
      request.setResponseBody(body);
    }
    send(request, new Pending(Kind.BODY, data, 0));
  }

  private void sendTrailers(Dir dir) {
    HttpTrailers trailers = HttpTrailers.newBuilder().setTrailers(dir.trailers.toProto()).build();
    ProcessingRequest.Builder request = ProcessingRequest.newBuilder();
    if (dir.request) {
      request.setRequestTrailers(trailers);
    } else {
      request.setResponseTrailers(trailers);
    }
    send(request, new Pending(Kind.TRAILERS, null, 0));
  }

  private void send(ProcessingRequest.Builder request, Pending pending) {
    if (stream == null) {
      stream = SideStream.open(channel, timeout);
      if (exchange.sendProtocolConfig) {
        request.setProtocolConfig(ProtocolConfiguration.newBuilder()
            .setRequestBodyMode(exchange.mode.getRequestBodyMode())
            .setResponseBodyMode(exchange.mode.getResponseBodyMode())
            .setSendBodyWithoutWaitingForHeaderResponse(exchange.sendBodyWithoutWaitingForHeaderResponse));
      }
    }
    if (exchange.metadataContext != null) {
      request.setMetadataContext(exchange.metadataContext);
    }
    if (!active.firstMessageSent) {
      active.firstMessageSent = true;
      com.google.protobuf.Struct attributes = active.request ? exchange.requestAttributes : exchange.responseAttributes;
      if (attributes != null) {
        request.putAttributes("envoy.filters.http.ext_proc", attributes);
      }
    }
    ProcessingRequest message = request.build();
    sentCount++;
    log(sentLog, message, bodySize(message));
    // FULL_DUPLEX_STREAMED expects no 1:1 reply to body and trailers; everything else does.
    boolean fdsBodyOrTrailers = active.bodyMode == BodySendMode.FULL_DUPLEX_STREAMED && pending.kind() != Kind.HEADERS;
    if (!fdsBodyOrTrailers) {
      active.pending.add(new Pending(pending.kind(), pending.original(), sentCount));
      lastActivityNanos = System.nanoTime(); // Envoy (re)arms its message timer on each such send
    }
    stream.send(message);
  }

  private static int bodySize(ProcessingRequest message) {
    return message.hasRequestBody() ? message.getRequestBody().getBody().size()
        : message.hasResponseBody() ? message.getResponseBody().getBody().size() : 0;
  }

  private <T> void log(List<T> log, T message, int bodyBytes) {
    if (!logComplete) {
      return;
    }
    loggedBytes += bodyBytes;
    if (log.size() >= exchange.logLimit || loggedBytes > exchange.keepBodyBytes) {
      logComplete = false;
      return;
    }
    log.add(message);
  }

  // ---------------------------------------------------------------- receiving

  private void awaitReady(Dir dir) {
    if (stream == null) {
      return; // opened lazily by the next send
    }
    while (!stream.isReady()) {
      if (stream.status() != null) {
        handleClosed(stream.status());
      }
      handle(nextEvent(() -> "the side stream to become ready (gRPC flow control) in the " + dir.label));
    }
  }

  private void awaitUntil(BooleanSupplier condition, java.util.function.Supplier<String> what) {
    while (!condition.getAsBoolean()) {
      if (stream.status() != null) {
        handleClosed(stream.status());
      }
      handle(nextEvent(what));
    }
  }

  /**
   * Takes the next event. With a message timeout configured, a reply Envoy awaits (outside
   * FULL_DUPLEX_STREAMED) that does not come within it ends processing as Envoy's timer does.
   */
  private Event nextEvent(java.util.function.Supplier<String> what) {
    Duration messageTimeout = exchange.messageTimeout;
    boolean timed = messageTimeout != null && active != null && !active.pending.isEmpty()
        && active.bodyMode != BodySendMode.FULL_DUPLEX_STREAMED
        && messageTimeout.compareTo(timeout) < 0;
    if (!timed) {
      return stream.take(what);
    }
    long remaining = lastActivityNanos + messageTimeout.toNanos() - System.nanoTime();
    Event event = stream.poll(Math.max(0, remaining));
    if (event != null) {
      return event;
    }
    messageTimedOut();
    throw new IllegalStateException("unreachable");
  }

  private void messageTimedOut() {
    extProcDone = true;
    ignoreLateReplies = true;
    stream.cancel("FakeEnvoy: per-message timeout");
    notes.add("no reply within the message timeout " + exchange.messageTimeout.toMillis() + " ms");
    if (exchange.failureModeAllow) {
      throw new Bypass();
    }
    localReply(504, Headers.empty(), ByteString.copyFromUtf8("Gateway Timeout"),
        "ext_proc_error_per-message_timeout_exceeded");
    throw new Stop();
  }

  private void pumpAvailable() {
    Event event;
    while ((event = stream.poll()) != null) {
      handle(event);
    }
  }

  private void handle(Event event) {
    if (event instanceof Ready) {
      return;
    }
    if (event instanceof Closed closed) {
      handleClosed(closed.status());
      return;
    }
    ProcessingResponse reply = ((Reply) event).response();
    receivedCount++;
    lastActivityNanos = System.nanoTime();
    log(receivedLog, reply, 0);
    if (ignoreLateReplies) {
      notes.add("reply #" + receivedCount + " after the message timeout ignored");
      return;
    }
    if (extProcDone) {
      throw violation("reply-after-end", "a " + reply.getResponseCase() + " reply after processing ended"
          + (immediate != null ? " with an immediate response" : "") + "; Envoy ignores it");
    }
    if (reply.hasOverrideMessageTimeout()) {
      notes.add("reply #" + receivedCount + ": override_message_timeout (Envoy only restarts its timer)");
      return;
    }
    if (reply.hasDynamicMetadata()) {
      dynamicMetadata.add(reply.getDynamicMetadata());
    }
    Dir dir = active;
    switch (reply.getResponseCase()) {
      case IMMEDIATE_RESPONSE -> immediateResponse(reply.getImmediateResponse());
      case REQUEST_HEADERS, RESPONSE_HEADERS -> {
        checkDirection(dir, reply.getResponseCase() == ProcessingResponse.ResponseCase.REQUEST_HEADERS, reply);
        Pending head = expect(dir, Kind.HEADERS, reply);
        headersReply(dir, dir.request ? reply.getRequestHeaders().getResponse() : reply.getResponseHeaders().getResponse(),
            reply, head);
      }
      case REQUEST_BODY, RESPONSE_BODY -> {
        checkDirection(dir, reply.getResponseCase() == ProcessingResponse.ResponseCase.REQUEST_BODY, reply);
        BodyResponse body = dir.request ? reply.getRequestBody() : reply.getResponseBody();
        if (dir.bodyMode == BodySendMode.FULL_DUPLEX_STREAMED) {
          fullDuplexBodyReply(dir, body, reply);
        } else {
          Pending head = expect(dir, Kind.BODY, reply);
          bodyReply(dir, body.getResponse(), head, reply);
        }
      }
      case REQUEST_TRAILERS, RESPONSE_TRAILERS -> {
        checkDirection(dir, reply.getResponseCase() == ProcessingResponse.ResponseCase.REQUEST_TRAILERS, reply);
        HeaderMutation mutation = dir.request
            ? reply.getRequestTrailers().getHeaderMutation() : reply.getResponseTrailers().getHeaderMutation();
        if (dir.bodyMode == BodySendMode.FULL_DUPLEX_STREAMED) {
          if (!dir.pending.isEmpty()) {
            throw violation("fds-order", "a " + dir.label + "_trailers reply before the " + dir.label
                + "_headers reply; FULL_DUPLEX_STREAMED replies must keep headers, body, trailers order");
          }
          if (!dir.trailersSent) {
            throw violation("fds-trailers-without-trailers", "a " + dir.label
                + "_trailers reply but Envoy sent no trailers (synthesized trailers are not supported)");
          }
          if (dir.fdsEnded) {
            throw violation("extra-reply", "a " + dir.label + "_trailers reply after the direction ended");
          }
          dir.trailers = mutate(dir.trailers, mutation, false, false, "trailers");
          dir.fdsEnded = true;
        } else {
          expect(dir, Kind.TRAILERS, reply);
          dir.trailers = mutate(dir.trailers, mutation, false, false, "trailers");
        }
      }
      default -> throw violation("empty-reply", "a ProcessingResponse with no response set; Envoy treats it as spurious");
    }
  }

  private void checkDirection(Dir dir, boolean replyIsRequest, ProcessingResponse reply) {
    if (!dir.request && replyIsRequest) {
      throw violation("extra-reply", "a " + reply.getResponseCase()
          + " reply after the request direction ended (Envoy is processing the response)");
    }
    if (dir.request != replyIsRequest) {
      throw violation("reply-type", "a " + reply.getResponseCase() + " reply while Envoy is processing the "
          + dir.label + (dir.pending.isEmpty() ? " and awaits no reply" : " and awaits the reply to message #"
          + dir.pending.peekFirst().messageIndex() + " (" + dir.label + "_" + dir.pending.peekFirst().kind().name().toLowerCase(Locale.ROOT) + ")"));
    }
  }

  private Pending expect(Dir dir, Kind kind, ProcessingResponse reply) {
    Pending head = dir.pending.peekFirst();
    if (head == null) {
      throw violation(kind == Kind.HEADERS || dir.bodyMode != BodySendMode.FULL_DUPLEX_STREAMED
              ? "unexpected-reply" : "extra-reply",
          "a " + reply.getResponseCase() + " reply but no " + dir.label + " message awaits a reply");
    }
    if (head.kind() != kind) {
      String rule = dir.bodyMode == BodySendMode.FULL_DUPLEX_STREAMED && head.kind() == Kind.HEADERS
          ? "fds-body-before-header-reply" : "reply-type";
      throw violation(rule, "a " + reply.getResponseCase() + " reply but Envoy awaits the reply to message #"
          + head.messageIndex() + " (" + dir.label + "_" + head.kind().name().toLowerCase(Locale.ROOT)
          + "); exactly one reply per message, in order, of the matching type");
    }
    return dir.pending.pollFirst();
  }

  private void handleClosed(Status status) {
    extProcDone = true;
    if (status.isOk()) {
      notes.add("server closed the stream with OK after " + receivedCount + " replies; Envoy continues without ext_proc");
      throw new Bypass();
    }
    Dir dir = active;
    boolean fdsStarted = dir.bodyMode == BodySendMode.FULL_DUPLEX_STREAMED && dir.bodyChunksSent > 0;
    if (exchange.failureModeAllow && !fdsStarted) {
      notes.add("server failed the stream with " + status.getCode() + "; failure_mode_allow: Envoy continues");
      throw new Bypass();
    }
    String details = "ext_proc_error_gRPC_error_" + status.getCode().value()
        + (status.getDescription() == null ? "" : "{" + status.getDescription() + "}");
    localReply(500, Headers.empty(), ByteString.EMPTY, details);
    throw new Stop();
  }

  // ---------------------------------------------------------------- replies

  private void immediateResponse(ImmediateResponse response) {
    immediate = response;
    extProcDone = true;
    int code = response.getStatus().getCodeValue();
    int status = code < 200 ? 200 : code;
    Headers headers = mutate(Headers.empty(), response.getHeaders(), false, true, "immediate response headers");
    localReply(status, headers, response.getBody(), response.getDetails().replace(' ', '_'));
    throw new Stop();
  }

  private void localReply(int status, Headers headers, ByteString body, String details) {
    extProcDone = true;
    localReplyDetails = details;
    if (active != null && !active.request && active.forwardedHeaders != null) {
      // Response headers already went downstream: Envoy can only reset the stream.
      downstreamReset = true;
      return;
    }
    BodySink sink = new BodySink(exchange.keepBodyBytes);
    sink.write(body);
    Headers all = headers.without(":status").set(":status", ByteString.copyFromUtf8(Integer.toString(status)), false);
    localReply = new HttpMessage(all, sink.capture(), null, true);
  }

  private void headersReply(Dir dir, CommonResponse common, ProcessingResponse reply, Pending head) {
    if (common.getStatus() == CommonResponse.ResponseStatus.CONTINUE_AND_REPLACE) {
      if (common.hasBodyMutation() && common.getBodyMutation().hasStreamedResponse()) {
        throw violation("continue-and-replace", "CONTINUE_AND_REPLACE with a streamed_response body mutation"
            + " (expected: body or clear_body, the whole replacement body)");
      }
      dir.headers = mutate(dir.headers, common.getHeaderMutation(), true, !dir.request, dir.label + " headers");
      dir.headers = dir.headers.without("content-length");
      ByteString replacement = common.getBodyMutation().getBody();
      dir.replaced = true;
      dir.bodyMode = BodySendMode.NONE;
      dir.trailerMode = HeaderSendMode.SKIP;
      dir.pending.clear(); // chunks already sent are dropped; their replies would be spurious
      dir.forwardHeaders();
      dir.sink.write(replacement);
      if (reply.hasModeOverride()) {
        notes.add("reply #" + receivedCount + ": mode_override ignored with CONTINUE_AND_REPLACE");
      }
      return;
    }
    if (reply.hasModeOverride()) {
      modeOverride(dir, reply.getModeOverride());
    }
    if (common.hasBodyMutation()) {
      notes.add("reply #" + receivedCount + ": body_mutation in a CONTINUE headers reply is ignored");
    }
    dropContentLengthIfStreaming(dir, false);
    boolean keepContentLength = dir.bodyMode == BodySendMode.BUFFERED || dir.bodyMode == BodySendMode.NONE;
    dir.headers = mutate(dir.headers, common.getHeaderMutation(), false, !dir.request, dir.label + " headers");
    if (!keepContentLength && dir.headers.contains("content-length")) {
      notes.add("reply #" + receivedCount + ": content-length set by the header mutation dropped in " + dir.bodyMode);
      dir.headers = dir.headers.without("content-length");
    }
    if (!isHeldUntilBodyReply(dir) && !completeBodyHeld(dir)) {
      dir.forwardHeaders();
    }
  }

  /**
   * Whether, in STREAMED, the whole body reached Envoy while the header reply was pending: Envoy
   * then sends it as one message in its buffered state, keeps the headers until that body reply
   * and applies that reply's header mutation.
   */
  private boolean completeBodyHeld(Dir dir) {
    return dir.bodyMode == BodySendMode.STREAMED && dir.waitedForHeaderReply
        && exchange.heldBeforeHeaderReply > 0
        && dir.frames.length() <= Math.min(exchange.heldBeforeHeaderReply, exchange.bufferLimit);
  }

  private void modeOverride(Dir dir, ProcessingMode override) {
    ProcessingMode filter = exchange.mode;
    String why = null;
    if (!exchange.allowModeOverride) {
      why = "allow_mode_override is false";
    } else if (exchange.sendBodyWithoutWaitingForHeaderResponse) {
      why = "send_body_without_waiting_for_header_response is on";
    } else if (filter.getRequestBodyMode() == BodySendMode.FULL_DUPLEX_STREAMED
        || filter.getResponseBodyMode() == BodySendMode.FULL_DUPLEX_STREAMED) {
      why = "the filter-level mode uses FULL_DUPLEX_STREAMED";
    }
    if (why != null) {
      notes.add("reply #" + receivedCount + ": mode_override ignored (" + why + ")");
      return;
    }
    ProcessingMode.Builder merged = override.toBuilder();
    // DEFAULT header/trailer modes keep the filter-level value; body modes are taken literally.
    if (override.getRequestHeaderMode() == HeaderSendMode.DEFAULT) {
      merged.setRequestHeaderMode(filter.getRequestHeaderMode());
    }
    if (override.getResponseHeaderMode() == HeaderSendMode.DEFAULT) {
      merged.setResponseHeaderMode(filter.getResponseHeaderMode());
    }
    if (override.getRequestTrailerMode() == HeaderSendMode.DEFAULT) {
      merged.setRequestTrailerMode(filter.getRequestTrailerMode());
    }
    if (override.getResponseTrailerMode() == HeaderSendMode.DEFAULT) {
      merged.setResponseTrailerMode(filter.getResponseTrailerMode());
    }
    ProcessingMode mode = merged.build();
    if (!exchange.allowedOverrideModes.isEmpty()
        && exchange.allowedOverrideModes.stream().noneMatch(allowed -> sameOverride(allowed, mode))) {
      notes.add("reply #" + receivedCount + ": mode_override not in allowed_override_modes, dropped");
      return;
    }
    current = mode;
    dir.bodyMode = bodyModeOf(dir);
    dir.trailerMode = trailerModeOf(dir);
    notes.add("reply #" + receivedCount + ": mode_override applied: request body " + mode.getRequestBodyMode()
        + ", response body " + mode.getResponseBodyMode());
  }

  private static boolean sameOverride(ProcessingMode a, ProcessingMode b) {
    return a.getResponseHeaderMode() == b.getResponseHeaderMode()
        && a.getRequestBodyMode() == b.getRequestBodyMode()
        && a.getResponseBodyMode() == b.getResponseBodyMode()
        && a.getRequestTrailerMode() == b.getRequestTrailerMode()
        && a.getResponseTrailerMode() == b.getResponseTrailerMode();
  }

  private void bodyReply(Dir dir, CommonResponse common, Pending head, ProcessingResponse reply) {
    BodyMutation mutation = common.getBodyMutation();
    if (mutation.hasStreamedResponse()) {
      throw violation("streamed-response-outside-fds", "a streamed_response body mutation in " + dir.bodyMode
          + " mode; only FULL_DUPLEX_STREAMED accepts it");
    }
    if (reply.hasModeOverride()) {
      notes.add("reply #" + receivedCount + ": mode_override in a body reply is ignored");
    }
    if (common.getStatus() == CommonResponse.ResponseStatus.CONTINUE_AND_REPLACE) {
      notes.add("reply #" + receivedCount + ": CONTINUE_AND_REPLACE in a body reply is ignored (status only acts in headers replies)");
    }
    ByteString out = mutation.hasBody() ? mutation.getBody() : mutation.hasClearBody() && mutation.getClearBody()
        ? ByteString.EMPTY : head.original();
    dir.outstanding(-head.original().size());
    if (dir.forwardedHeaders == null && (isHeldUntilBodyReply(dir) || completeBodyHeld(dir))) {
      dir.headers = mutate(dir.headers, common.getHeaderMutation(), false, !dir.request, dir.label + " headers");
      long contentLength = contentLength(dir.headers);
      boolean mutated = mutation.hasBody() || (mutation.hasClearBody() && mutation.getClearBody());
      if (mutated && contentLength >= 0 && contentLength != out.size()) {
        localReply(500, Headers.empty(), ByteString.EMPTY, "ext_proc_error_mismatched_content_length_and_body_length");
        notes.add("reply #" + receivedCount + ": content-length " + contentLength + " != body mutation length "
            + out.size() + " (MismatchedContentLengthAndBodyLength)");
        throw new Stop();
      }
      dir.forwardHeaders();
    } else if (common.hasHeaderMutation()) {
      notes.add("reply #" + receivedCount + ": header_mutation in a " + dir.bodyMode
          + " body reply is ignored (headers already forwarded)");
    }
    dir.sink.write(out);
  }

  private static long contentLength(Headers headers) {
    String value = headers.get("content-length");
    if (value == null) {
      return -1;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void fullDuplexBodyReply(Dir dir, BodyResponse body, ProcessingResponse reply) {
    if (!dir.pending.isEmpty()) {
      throw violation("fds-body-before-header-reply", "a " + reply.getResponseCase()
          + " reply before the " + dir.label + "_headers reply (message #" + dir.pending.peekFirst().messageIndex()
          + "); FULL_DUPLEX_STREAMED needs the header reply first");
    }
    if (dir.fdsEnded) {
      throw violation("extra-reply", "a " + reply.getResponseCase() + " reply after the FULL_DUPLEX_STREAMED "
          + dir.label + " ended");
    }
    if (dir.bodyChunksSent == 0) {
      throw violation("fds-body-before-chunk", "a " + reply.getResponseCase() + " reply before Envoy sent any "
          + dir.label + " body chunk");
    }
    CommonResponse common = body.getResponse();
    BodyMutation mutation = common.getBodyMutation();
    if (!common.hasBodyMutation() || mutation.getMutationCase() == BodyMutation.MutationCase.MUTATION_NOT_SET) {
      throw violation("fds-empty-body-response", "a BodyResponse without a streamed_response body mutation;"
          + " an empty BodyResponse is illegal in FULL_DUPLEX_STREAMED");
    }
    if (!mutation.hasStreamedResponse()) {
      throw violation("fds-needs-streamed-response", "a BodyResponse with " + mutation.getMutationCase()
          + " in FULL_DUPLEX_STREAMED (expected: streamed_response)");
    }
    if (common.hasHeaderMutation()) {
      notes.add("reply #" + receivedCount + ": header_mutation in a FULL_DUPLEX_STREAMED body reply is ignored");
    }
    StreamedBodyResponse streamed = mutation.getStreamedResponse();
    if (streamed.getEndOfStream() && dir.trailersSent) {
      throw violation("fds-eos-with-trailers", "a streamed_response with end_of_stream while Envoy sent "
          + dir.label + " trailers (expected: end_of_stream false, then a trailers reply)");
    }
    dir.sink.write(streamed.getBody());
    dir.fdsReceived += streamed.getBody().size();
    if (streamed.getEndOfStream()) {
      dir.fdsEnded = true;
    }
  }

  // ---------------------------------------------------------------- header mutations

  /**
   * Applies a header mutation as Envoy does with its default mutation rules: removals first, then
   * sets; values only from raw_value; append honoured, overwrite by default; host, :authority,
   * :scheme, :method (unless allowed) and x-envoy-* are silently refused; removing pseudo-headers or
   * host is ignored; :status below 200 is ignored.
   */
  private Headers mutate(Headers headers, HeaderMutation mutation, boolean allowMethod, boolean response, String what) {
    Headers result = headers;
    for (String name : mutation.getRemoveHeadersList()) {
      String key = name.toLowerCase(Locale.ROOT);
      if (key.startsWith(":") || key.equals("host") || key.startsWith("x-envoy-")) {
        notes.add("reply #" + receivedCount + ": removing " + key + " from " + what + " is not allowed, ignored");
        continue;
      }
      result = result.without(key);
    }
    for (HeaderValueOption option : mutation.getSetHeadersList()) {
      HeaderValue header = option.getHeader();
      String key = header.getKey().toLowerCase(Locale.ROOT);
      if (header.getRawValue().isEmpty() && !header.getValue().isEmpty()) {
        throw violation("header-raw-value", "header mutation of " + key + " in " + what
            + " sets `value` only; Envoy reads header values from raw_value");
      }
      ByteString value = header.getRawValue();
      if (key.isEmpty() || !validValue(value)) {
        notes.add("reply #" + receivedCount + ": invalid header mutation of '" + key + "' in " + what);
        localReply(500, Headers.empty(), ByteString.EMPTY, "ext_proc_error_invalid_header_mutation");
        throw new Stop();
      }
      boolean disallowed = key.equals("host") || key.equals(":authority") || key.equals(":scheme")
          || (key.equals(":method") && !allowMethod) || key.startsWith("x-envoy-")
          || (key.equals(":status") && !response);
      if (disallowed) {
        notes.add("reply #" + receivedCount + ": setting " + key + " in " + what + " is not allowed, ignored");
        continue;
      }
      if (key.equals(":status")) {
        int status = parseStatus(value);
        if (status < 200) {
          notes.add("reply #" + receivedCount + ": :status " + value.toStringUtf8() + " ignored (below 200)");
          continue;
        }
      }
      boolean append = appendRequested(option);
      result = result.set(key, value, append);
    }
    return result;
  }

  /** Envoy still honours the deprecated {@code append} flag (Envoy source, ext_proc {@code mutation_utils.cc}), so FakeEnvoy reads it too. */
  @SuppressWarnings("deprecation")
  private static boolean appendRequested(HeaderValueOption option) {
    return option.hasAppend() && option.getAppend().getValue();
  }

  private static int parseStatus(ByteString value) {
    try {
      return Integer.parseInt(value.toStringUtf8().trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static boolean validValue(ByteString value) {
    for (int i = 0; i < value.size(); i++) {
      byte b = value.byteAt(i);
      if (b == 0 || b == '\r' || b == '\n') {
        return false;
      }
    }
    return true;
  }

  private ProtocolViolation violation(String rule, String detail) {
    if (stream != null) {
      stream.cancel("FakeEnvoy: protocol violation " + rule);
    }
    return new ProtocolViolation(rule, receivedCount, detail);
  }

  // ---------------------------------------------------------------- end

  private void finish() {
    if (stream == null) {
      return;
    }
    if (stream.status() != null) {
      // The server already ended the stream; any reply still queued came before its end.
      Event event;
      while ((event = stream.poll()) != null) {
        if (event instanceof Reply reply) {
          receivedCount++;
          throw violation(immediate != null ? "reply-after-immediate-response" : "extra-reply",
              "a " + reply.response().getResponseCase() + " reply when Envoy expects none");
        }
      }
      return;
    }
    if (exchange.closeMode == CloseMode.GRACEFUL) {
      stream.halfClose();
    } else {
      // Replies already here arrived while nothing was pending: extra.
      pumpFinal();
      stream.halfClose();
      stream.cancel("envoy closed the stream");
    }
    while (stream.status() == null) {
      checkFinal(stream.take(() -> "the ext_proc server to end the stream after Envoy half-closed it"));
    }
  }

  private void pumpFinal() {
    Event event;
    while ((event = stream.poll()) != null) {
      checkFinal(event);
    }
  }

  private void checkFinal(Event event) {
    if (event instanceof Reply && ignoreLateReplies) {
      receivedCount++;
      return;
    }
    if (event instanceof Reply reply) {
      receivedCount++;
      log(receivedLog, reply.response(), 0);
      throw violation(immediate != null ? "reply-after-immediate-response" : "extra-reply",
          "a " + reply.response().getResponseCase() + " reply when Envoy expects none");
    }
  }

  private ExchangeResult result() {
    HttpMessage upstream = requestDir != null && requestDir.forwardedHeaders != null ? requestDir.message() : null;
    HttpMessage client;
    if (localReply != null) {
      client = localReply;
    } else if (responseDir != null && responseDir.forwardedHeaders != null) {
      client = responseDir.message();
    } else {
      client = new HttpMessage(Headers.empty(), new BodySink(0).capture(), null, false);
    }
    return new ExchangeResult(
        upstream,
        client,
        immediate,
        localReplyDetails,
        downstreamReset,
        stream == null ? null : stream.status(),
        stream != null,
        sentCount,
        receivedCount,
        sentLog,
        receivedLog,
        logComplete,
        requestDir == null ? 0 : requestDir.maxOutstanding,
        responseDir == null ? 0 : responseDir.maxOutstanding,
        dynamicMetadata,
        notes);
  }
}
