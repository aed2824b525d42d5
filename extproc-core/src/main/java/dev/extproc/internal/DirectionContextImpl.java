package dev.extproc.internal;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ExchangeContext;
import dev.extproc.MessageContext;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * The context of one direction: argument and state checks on the caller's thread (so a misuse
 * throws where it happened), then the operation runs on the exchange's serial executor. A {@link
 * MessageContext}, so v1 processors get it without a wrapper.
 */
final class DirectionContextImpl implements MessageContext {
  private final Exchange exchange;
  private final DirectionFlow flow;

  DirectionContextImpl(Exchange exchange, DirectionFlow flow) {
    this.exchange = exchange;
    this.flow = flow;
  }

  @Override
  public Direction direction() {
    return flow.direction;
  }

  @Override
  public BodyMode bodyMode() {
    return flow.mode;
  }

  @Override
  public ExchangeContext exchange() {
    return exchange.scope();
  }

  @Override
  public CompletionStage<Void> write(ByteString data) {
    requireNonNull(data, "data");
    checkWritable();
    int budget = exchange.config().maxPendingOutputBytes();
    if (data.size() > budget && flow.discipline.writesWaitForBudget() && !flow.headersEndEvent
        && data != flow.currentChunk) {
      throw new IllegalArgumentException(flow.label() + " write of " + data.size() + " bytes in "
          + flow.mode + " (expected: <= maxPendingOutputBytes " + budget + "; split it, waiting for each"
          + " write's stage)");
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    exchange.runOnExecutor(() -> exchange.writes().write(flow, data, done));
    return done;
  }

  private void checkWritable() {
    if (flow.outputClosed) {
      throw new IllegalStateException(flow.label() + " output is closed (its end was already answered,"
          + " or the exchange ended) on stream " + exchange.id()
          + " (rule: nothing may be written after a direction's end)");
    }
    if (flow.mode == BodyMode.NONE && !flow.headersEndEvent) {
      throw new IllegalStateException(flow.label() + " body mode is NONE: the body passes through Envoy"
          + " and cannot be written (expected: STREAMED, BUFFERED, BUFFERED_PARTIAL or FULL_DUPLEX_STREAMED)");
    }
  }

  @Override
  public void setHeader(String name, String value) {
    mutate(name, requireNonNull(value, "value"), false);
  }

  @Override
  public void appendHeader(String name, String value) {
    mutate(name, requireNonNull(value, "value"), true);
  }

  @Override
  public void removeHeader(String name) {
    mutate(name, null, false);
  }

  private void mutate(String name, @Nullable String value, boolean append) {
    String key = checkHeaderName(name);
    if (value != null) {
      checkHeaderValue(key, value);
    }
    DirectionFlow.MutationTarget target = flow.target;
    switch (target) {
      case NONE_OUTSIDE_EVENT:
        throw new IllegalStateException("header mutation of " + flow.label() + " outside an event"
            + " (expected: in onHeaders, onTrailers, or a BUFFERED body event, before its stage completes)");
      case NONE_STREAMING_BODY:
        throw new IllegalStateException("header mutation during a " + flow.mode + " " + flow.label()
            + " body event: Envoy has already forwarded the headers and ignores header mutations in"
            + " STREAMED and FULL_DUPLEX_STREAMED body replies (expected: in onHeaders or onTrailers)");
      case NONE_END_BEFORE_TRAILERS:
        throw new IllegalStateException("header mutation in onEnd of " + flow.label() + " before its"
            + " trailers: the headers are gone (expected: trailers mutations in onTrailers)");
      case HEADERS:
        checkNotCommitted();
        break;
      default:
        break;
    }
    exchange.runOnExecutor(() -> {
      if (!exchange.isOpen()) {
        return;
      }
      if (target == DirectionFlow.MutationTarget.HEADERS && flow.headersCommitted) {
        exchange.processorBrokeRule(flow, new IllegalStateException(committedMessage()));
        return;
      }
      if (value == null) {
        flow.mutation().remove(key);
      } else {
        flow.mutation().set(key, value, append);
      }
      if (key.equals("content-length") && target != DirectionFlow.MutationTarget.TRAILERS) {
        flow.contentLengthPresent = value != null;
      }
    });
  }

  private void checkNotCommitted() {
    if (flow.headersCommitted) {
      throw new IllegalStateException(committedMessage());
    }
  }

  private String committedMessage() {
    return "headers already committed: body output exceeded the budget in onHeaders (" + flow.label()
        + ", stream " + exchange.id() + "; rule: in FULL_DUPLEX_STREAMED, once output written in onHeaders"
        + " must wait, the header reply is sent with the mutations made so far; mutate headers before writing)";
  }

  @Override
  public String toString() {
    return "MessageContext[" + exchange.id() + " " + flow.label() + "]";
  }

  private static String checkHeaderName(String name) {
    requireNonNull(name, "name");
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
    return name.toLowerCase(Locale.ROOT);
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
