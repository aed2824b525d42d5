package dev.extproc.internal;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.MessagePart;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import org.jspecify.annotations.Nullable;

/**
 * Turns a direction's pending output and header mutations into the reply owed to one Envoy
 * message. Takes what it uses from the {@link DirectionFlow}; builds, never sends.
 */
final class Answers {
  private Answers() {}

  /** A body reply and the body bytes it carries. */
  record Body(ProcessingResponse.Builder reply, int bodyBytes) {}

  /** The header reply: the mutations made so far, and {@code body} as CONTINUE_AND_REPLACE when not null. */
  static ProcessingResponse.Builder headers(DirectionFlow d, @Nullable ByteString body) {
    Replies.Common common = new Replies.Common(d.takeMutation());
    if (body != null) {
      common.replaceBody(body);
    }
    return Replies.headers(d.direction, common);
  }

  /**
   * Whether the reply to a body message carrying {@code chunk} changes nothing: the processor
   * passed the chunk through (the same instance, nothing else) and made no header mutation.
   */
  static boolean bodyUnchanged(DirectionFlow d, ByteString chunk) {
    return !chunk.isEmpty() && d.pending.isExactly(chunk) && !d.hasMutation();
  }

  /**
   * The one reply to a body message that carried {@code chunk}: no mutation when the processor
   * passed the chunk through (the same instance, nothing else), a cleared body when it wrote
   * nothing, else the output. BUFFERED keeps content-length right when the body changed.
   */
  static Body body(DirectionFlow d, ByteString chunk) {
    Replies.Common common = new Replies.Common(d.takeMutation());
    int bodyBytes = 0;
    boolean changed = false;
    if (d.pending.isExactly(chunk) && !chunk.isEmpty()) {
      d.pending.clear(); // passed through unchanged: no mutation, no copy back
    } else if (d.pending.isEmpty()) {
      if (!chunk.isEmpty()) {
        common.clearBody();
        changed = true;
      }
    } else {
      ByteString body = d.pending.takeAll();
      common.body(body);
      bodyBytes = body.size();
      changed = true;
    }
    if (changed && d.discipline.fixesContentLength() && d.contentLengthPresent) {
      // Envoy keeps content-length in BUFFERED and answers 500 when it disagrees with the body.
      common.setContentLength(bodyBytes);
    }
    return new Body(Replies.body(d.direction, common), bodyBytes);
  }

  /** The trailers reply with the trailer mutations made. */
  static ProcessingResponse.Builder trailers(DirectionFlow d) {
    return Replies.trailers(d.direction, d.takeMutation());
  }

  /** Returns the processor method an event calls, for messages. */
  static String method(MessagePart part, boolean end) {
    if (end) {
      return "onEnd";
    }
    switch (part) {
      case HEADERS:
        return "onHeaders";
      case TRAILERS:
        return "onTrailers";
      default:
        return "onBody";
    }
  }

  /** Whether output in {@code mode} goes out as re-chunked streamed replies. */
}
