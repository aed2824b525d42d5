package dev.extproc.testing;

import com.google.protobuf.Struct;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import java.util.List;
import java.util.Optional;

/**
 * What happened in one exchange run by {@link FakeEnvoy#run}: what the upstream received, what
 * the client received, how the gRPC stream ended, and the messages exchanged.
 */
public final class ExchangeResult {
  private final HttpMessage upstreamRequest;
  private final HttpMessage clientResponse;
  private final ImmediateResponse immediateResponse;
  private final String localReplyDetails;
  private final boolean downstreamReset;
  private final Status grpcStatus;
  private final boolean streamOpened;
  private final int messagesSent;
  private final int messagesReceived;
  private final List<ProcessingRequest> sent;
  private final List<ProcessingResponse> received;
  private final boolean logComplete;
  private final long maxOutstandingRequestBytes;
  private final long maxOutstandingResponseBytes;
  private final List<Struct> dynamicMetadata;
  private final List<String> notes;

  ExchangeResult(
      HttpMessage upstreamRequest,
      HttpMessage clientResponse,
      ImmediateResponse immediateResponse,
      String localReplyDetails,
      boolean downstreamReset,
      Status grpcStatus,
      boolean streamOpened,
      int messagesSent,
      int messagesReceived,
      List<ProcessingRequest> sent,
      List<ProcessingResponse> received,
      boolean logComplete,
      long maxOutstandingRequestBytes,
      long maxOutstandingResponseBytes,
      List<Struct> dynamicMetadata,
      List<String> notes) {
    this.upstreamRequest = upstreamRequest;
    this.clientResponse = clientResponse;
    this.immediateResponse = immediateResponse;
    this.localReplyDetails = localReplyDetails;
    this.downstreamReset = downstreamReset;
    this.grpcStatus = grpcStatus;
    this.streamOpened = streamOpened;
    this.messagesSent = messagesSent;
    this.messagesReceived = messagesReceived;
    this.sent = List.copyOf(sent);
    this.received = List.copyOf(received);
    this.logComplete = logComplete;
    this.maxOutstandingRequestBytes = maxOutstandingRequestBytes;
    this.maxOutstandingResponseBytes = maxOutstandingResponseBytes;
    this.dynamicMetadata = List.copyOf(dynamicMetadata);
    this.notes = List.copyOf(notes);
  }

  /** Returns the request as the upstream received it, or empty when the upstream was never contacted. */
  public Optional<HttpMessage> upstreamRequest() {
    return Optional.ofNullable(upstreamRequest);
  }

  /**
   * Returns the request as the upstream received it.
   *
   * @throws AssertionError when the upstream was never contacted
   */
  public HttpMessage upstream() {
    if (upstreamRequest == null) {
      throw new AssertionError("upstream request: never sent (" + summary() + ")");
    }
    return upstreamRequest;
  }

  /**
   * Returns the response as the client received it: the upstream's response after processing, or
   * Envoy's local reply (an immediate response, 413, 500...). Its headers are empty when the
   * downstream stream was reset before response headers were sent.
   */
  public HttpMessage client() {
    return clientResponse;
  }

  /** Returns the client's HTTP status, or -1 when the downstream stream was reset without one. */
  public int status() {
    return clientResponse.status();
  }

  /** Returns the immediate response the server sent, if any. */
  public Optional<ImmediateResponse> immediateResponse() {
    return Optional.ofNullable(immediateResponse);
  }

  /**
   * Returns Envoy's response-code details when the client got a local reply (for example {@code
   * ext_proc_error_gRPC_error_13} or the immediate response's details), else empty.
   */
  public Optional<String> localReplyDetails() {
    return Optional.ofNullable(localReplyDetails);
  }

  /** Returns whether the downstream stream was reset (a local reply was needed after response headers went out). */
  public boolean downstreamReset() {
    return downstreamReset;
  }

  /**
   * Returns how the gRPC stream ended as FakeEnvoy saw it: the server's status when it ended the
   * stream, or CANCELLED when FakeEnvoy reset it first ({@link CloseMode#RESET}); {@code null} when
   * no stream was opened.
   */
  public Status grpcStatus() {
    return grpcStatus;
  }

  /** Returns whether a gRPC stream was opened at all (not when nothing had to be sent). */
  public boolean streamOpened() {
    return streamOpened;
  }

  /** Returns the number of ProcessingRequest messages sent. */
  public int messagesSent() {
    return messagesSent;
  }

  /** Returns the number of ProcessingResponse messages received. */
  public int messagesReceived() {
    return messagesReceived;
  }

  /** Returns the messages sent, in order; complete only when {@link #logComplete()}. */
  public List<ProcessingRequest> sent() {
    return sent;
  }

  /** Returns the replies received, in order; complete only when {@link #logComplete()}. */
  public List<ProcessingResponse> received() {
    return received;
  }

  /** Returns whether {@link #sent()} and {@link #received()} hold every message (small exchanges only). */
  public boolean logComplete() {
    return logComplete;
  }

  /**
   * Returns the most request body bytes that were sent and not yet answered at once: the STREAMED
   * FIFO, the BUFFERED body, or in FULL_DUPLEX_STREAMED bytes sent minus bytes streamed back.
   */
  public long maxOutstandingRequestBytes() {
    return maxOutstandingRequestBytes;
  }

  /** Returns the same as {@link #maxOutstandingRequestBytes()} for the response body. */
  public long maxOutstandingResponseBytes() {
    return maxOutstandingResponseBytes;
  }

  /** Returns the dynamic metadata attached to replies, in order. */
  public List<Struct> dynamicMetadata() {
    return dynamicMetadata;
  }

  /**
   * Returns what Envoy silently ignored or rejected (a disallowed header mutation, a mode override
   * that was not honoured, a header mutation in a STREAMED body reply...), one line each.
   */
  public List<String> notes() {
    return notes;
  }

  /** Returns a one-line summary for assertion messages. */
  public String summary() {
    return "client status " + status()
        + (localReplyDetails != null ? " (local reply: " + localReplyDetails + ")" : "")
        + (downstreamReset ? " (downstream reset)" : "")
        + ", upstream " + (upstreamRequest == null ? "not contacted" : "got " + upstreamRequest.body())
        + ", grpc " + (grpcStatus == null ? "no stream" : grpcStatus.getCode() + " " + grpcStatus.getDescription())
        + ", " + messagesSent + " sent / " + messagesReceived + " received"
        + (notes.isEmpty() ? "" : ", notes " + notes);
  }

  @Override
  public String toString() {
    return "ExchangeResult{" + summary() + "}";
  }
}
