package dev.extproc.processors;

import static dev.extproc.testkit.EnvoyMessages.modes;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ExtProcService;
import dev.extproc.HttpHeaders;
import dev.extproc.ProcessorFactory;
import dev.extproc.testkit.EmbeddedStream;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;

/**
 * Runs a processor factory through the real engine on one {@link EmbeddedStream}, one direction at
 * a time, sending what Envoy sends in the direction's body mode and collecting the body the engine
 * answers for each message.
 */
final class EngineExchange implements AutoCloseable {
  private final EmbeddedStream stream;
  private final AtomicReference<String> id = new AtomicReference<>();
  private final BodyMode requestMode;
  private final BodyMode responseMode;
  final List<ImmediateResponse> responses = new ArrayList<>();
  private boolean first = true;

  EngineExchange(ProcessorFactory factory, ScheduledExecutorService scheduler, BodyMode requestMode, BodyMode responseMode) {
    ProcessorFactory recording = exchange -> {
      id.set(exchange.id());
      return factory.newProcessor(exchange);
    };
    this.stream = EmbeddedStream.open(ExtProcService.builder(recording).scheduler(scheduler).build());
    this.requestMode = requestMode;
    this.responseMode = responseMode;
  }

  /**
   * What one direction produced: the output for each input chunk, in order, and the output for the
   * end of the body ({@code onEnd}'s, sent in answer to an empty end-of-stream message). In
   * FULL_DUPLEX_STREAMED a chunk's output is what the engine sent before asking for the next message.
   */
  record Result(List<ByteString> replies, ByteString tail, boolean responded) {
    ByteString body() {
      return ByteString.copyFrom(replies).concat(tail);
    }
  }

  /** Returns the stream, for sequences {@link #direction} does not cover. */
  EmbeddedStream stream() {
    return stream;
  }

  /** Returns the exchange id the engine gave the processors (after the first message). */
  String id() {
    return id.get();
  }

  /** Sends one direction: headers (ending the message when {@code chunks} is empty), then the body as Envoy sends it. */
  Result direction(Direction direction, HttpHeaders headers, List<ByteString> chunks) {
    boolean request = direction == Direction.REQUEST;
    BodyMode mode = request ? requestMode : responseMode;
    List<ByteString> replies = new ArrayList<>();
    io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders.Builder head = io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders.newBuilder()
        .setHeaders(headerMap(headers)).setEndOfStream(chunks.isEmpty());
    ProcessingRequest.Builder message = request ? ProcessingRequest.newBuilder().setRequestHeaders(head)
        : ProcessingRequest.newBuilder().setResponseHeaders(head);
    if (first) {
      message.setProtocolConfig(modes(BodySendMode.valueOf(requestMode.name()), BodySendMode.valueOf(responseMode.name())));
      first = false;
    }
    stream.send(message.build());
    ProcessingResponse headersReply = stream.awaitReply();
    if (responded(headersReply, replies) || mode == BodyMode.NONE) {
      return new Result(replies, ByteString.EMPTY, !responses.isEmpty());
    }
    if (chunks.isEmpty()) { // what onEnd wrote for a headers-only message comes as CONTINUE_AND_REPLACE
      CommonResponse common = request ? headersReply.getRequestHeaders().getResponse() : headersReply.getResponseHeaders().getResponse();
      return new Result(replies, common.getBodyMutation().getBody(), false);
    }
    switch (mode) {
      case BUFFERED -> {
        ByteString whole = ByteString.copyFrom(chunks);
        stream.send(body(request, whole, true));
        answer(stream.awaitReply(), whole, replies);
      }
      case FULL_DUPLEX_STREAMED -> {
        for (ByteString chunk : chunks) {
          stream.send(body(request, chunk, false));
          awaitNextRequest();
          ByteString out = ByteString.EMPTY;
          for (ProcessingResponse reply : stream.drainReplies()) {
            if (responded(reply, replies)) {
              return new Result(replies, ByteString.EMPTY, true);
            }
            out = out.concat(common(reply).getBodyMutation().getStreamedResponse().getBody());
          }
          replies.add(out);
        }
        stream.send(body(request, ByteString.EMPTY, true));
        ByteString tail = ByteString.EMPTY;
        boolean end = false;
        while (!end) {
          ProcessingResponse reply = stream.awaitReply();
          if (responded(reply, replies)) {
            break;
          }
          StreamedBodyResponse streamed = common(reply).getBodyMutation().getStreamedResponse();
          tail = tail.concat(streamed.getBody());
          end = streamed.getEndOfStream();
        }
        return new Result(replies, tail, !responses.isEmpty());
      }
      default -> { // STREAMED, BUFFERED_PARTIAL: one reply per message; the empty end-of-stream message carries onEnd's output
        for (ByteString chunk : chunks) {
          stream.send(body(request, chunk, false));
          if (answer(stream.awaitReply(), chunk, replies)) {
            return new Result(replies, ByteString.EMPTY, true);
          }
        }
        stream.send(body(request, ByteString.EMPTY, true));
        List<ByteString> end = new ArrayList<>();
        answer(stream.awaitReply(), ByteString.EMPTY, end);
        return new Result(replies, end.isEmpty() ? ByteString.EMPTY : end.get(0), !responses.isEmpty());
      }
    }
    return new Result(replies, ByteString.EMPTY, !responses.isEmpty());
  }

  /** Waits until the engine has handled the last message sent and asks for the next (or the stream closed). */
  private void awaitNextRequest() {
    Awaitility.await().atMost(EmbeddedStream.DEFAULT_TIMEOUT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
        .until(() -> stream.unmetRequests() > 0 || stream.isClosed());
  }

  /** Records the body a body reply forwards ({@code sent} when it does not mutate); returns whether it was an immediate response. */
  private boolean answer(ProcessingResponse reply, ByteString sent, List<ByteString> replies) {
    if (responded(reply, replies)) {
      return true;
    }
    BodyMutation mutation = common(reply).getBodyMutation();
    replies.add(mutation.hasBody() ? mutation.getBody() : mutation.getClearBody() ? ByteString.EMPTY : sent);
    return false;
  }

  private boolean responded(ProcessingResponse reply, List<ByteString> replies) {
    if (reply.hasImmediateResponse()) {
      responses.add(reply.getImmediateResponse());
      return true;
    }
    return false;
  }

  private static CommonResponse common(ProcessingResponse reply) {
    return reply.hasRequestBody() ? reply.getRequestBody().getResponse() : reply.getResponseBody().getResponse();
  }

  private static ProcessingRequest body(boolean request, ByteString data, boolean endOfStream) {
    HttpBody body = HttpBody.newBuilder().setBody(data).setEndOfStream(endOfStream).build();
    return request ? ProcessingRequest.newBuilder().setRequestBody(body).build()
        : ProcessingRequest.newBuilder().setResponseBody(body).build();
  }

  private static HeaderMap headerMap(HttpHeaders headers) {
    HeaderMap.Builder map = HeaderMap.newBuilder();
    for (String name : headers.names()) {
      for (String value : headers.getAll(name)) {
        map.addHeaders(HeaderValue.newBuilder().setKey(name).setRawValue(ByteString.copyFromUtf8(value)));
      }
    }
    return map.build();
  }

  /** Ends the exchange as Envoy does after its last message: a cancel (or nothing, when the engine closed the stream). */
  @Override
  public void close() {
    stream.close();
  }
}
