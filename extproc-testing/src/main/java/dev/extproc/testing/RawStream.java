package dev.extproc.testing;

import static java.util.Objects.requireNonNull;

import dev.extproc.testing.SideStream.Closed;
import dev.extproc.testing.SideStream.Event;
import dev.extproc.testing.SideStream.Reply;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A low-level ext_proc stream for bad-input tests: sends whatever messages it is given, in order,
 * with no validation, and collects the replies and the final status. Not thread-safe; use it from
 * one thread. Close it (try-with-resources) to cancel it if the server has not ended it.
 */
public final class RawStream implements AutoCloseable {
  private final SideStream stream;
  private final List<ProcessingResponse> replies = new ArrayList<>();

  RawStream(SideStream stream) {
    this.stream = stream;
  }

  /** Sends one message as is. Messages sent after the server ended the stream are dropped by gRPC. */
  public RawStream send(ProcessingRequest message) {
    stream.send(requireNonNull(message, "message"));
    return this;
  }

  /** Sends messages in order. */
  public RawStream send(List<ProcessingRequest> messages) {
    messages.forEach(this::send);
    return this;
  }

  /**
   * Returns the next reply, waiting at most the FakeEnvoy timeout.
   *
   * @throws AssertionError when the stream ends first (naming its status) or on timeout
   */
  public ProcessingResponse nextReply() {
    while (true) {
      Event event = stream.take(() -> "a reply on the raw stream");
      if (event instanceof Reply reply) {
        replies.add(reply.response());
        return reply.response();
      }
      if (event instanceof Closed closed) {
        throw new AssertionError("raw stream: ended with " + describe(closed.status())
            + " while a reply was expected (" + replies.size() + " replies so far)");
      }
    }
  }

  /** Ends the client side of the stream (Envoy only does this when it is done with the exchange). */
  public RawStream halfClose() {
    stream.halfClose();
    return this;
  }

  /** Cancels the stream, as Envoy resets it. */
  public void cancel() {
    stream.cancel("FakeEnvoy raw stream cancelled");
  }

  /**
   * Waits for the stream to end and returns its status; replies arriving meanwhile are collected in
   * {@link #replies()}.
   *
   * @throws AssertionError on timeout
   */
  public Status awaitStatus() {
    while (stream.status() == null) {
      Event event = stream.take(() -> "the server to end the raw stream");
      if (event instanceof Reply reply) {
        replies.add(reply.response());
      }
    }
    return stream.status();
  }

  /** Returns the status the stream ended with, or null while it is open. */
  public Status status() {
    return stream.status();
  }

  /** Returns the replies received so far, in order. */
  public List<ProcessingResponse> replies() {
    return Collections.unmodifiableList(replies);
  }

  @Override
  public void close() {
    stream.cancel("FakeEnvoy raw stream closed");
  }

  static String describe(Status status) {
    return status.getCode() + (status.getDescription() == null ? "" : " \"" + status.getDescription() + "\"");
  }
}
