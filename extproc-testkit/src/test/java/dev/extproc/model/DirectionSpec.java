package dev.extproc.model;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;

/**
 * One direction of a generated exchange: what Envoy sends and what the model processor does.
 *
 * @param mode the body mode Envoy is configured with
 * @param headerMode whether Envoy sends the headers to the processor
 * @param trailerMode whether Envoy sends the trailers
 * @param body the body (empty: none)
 * @param trailers whether the message has trailers
 * @param transform what the processor does to the body
 * @param holdBack bytes the processor keeps back (0: it does not hold back)
 * @param async whether the processor completes its stages later, on another thread
 * @param passThrough whether an untransformed chunk is passed through rather than copied
 * @param prefix bytes the processor writes early, in {@code onHeaders}
 */
record DirectionSpec(
    BodySendMode mode,
    HeaderSendMode headerMode,
    HeaderSendMode trailerMode,
    ByteString body,
    boolean trailers,
    Transform transform,
    int holdBack,
    boolean async,
    boolean passThrough,
    ByteString prefix) {

  /** Whether the headers carry end of stream (no body, no trailers). */
  boolean headersEndStream() {
    return body.isEmpty() && !trailers;
  }

  /** The reference model: the body the other side must receive when the body mode in force is {@code effective}. */
  ByteString expectedBody(BodySendMode effective) {
    boolean headersSeen = headerMode == HeaderSendMode.SEND;
    ByteString out = ByteString.EMPTY;
    if (headersSeen && (effective != BodySendMode.NONE || headersEndStream())) {
      out = prefix;
    }
    if (effective == BodySendMode.NONE) {
      return out.concat(body);
    }
    return out.concat(transform.apply(body, 0));
  }

  /**
   * Whether Envoy shows the engine where this direction ends when {@code effective} is in force:
   * only then can the engine tell a finished exchange from one Envoy cancelled.
   */
  boolean endVisible(BodySendMode effective) {
    if (headersEndStream()) {
      return headerMode == HeaderSendMode.SEND;
    }
    if (trailers) {
      return trailerMode == HeaderSendMode.SEND;
    }
    return !body.isEmpty() && effective != BodySendMode.NONE;
  }

  /**
   * Whether this direction's held-back tail cannot be delivered under {@code effective}: a STREAMED
   * body that trailers end (Envoy sends them only after the last chunk was answered, and a trailers
   * reply has no body).
   */
  boolean tailUndeliverable(BodySendMode effective) {
    return holdBack > 0 && effective == BodySendMode.STREAMED && trailers && trailerMode == HeaderSendMode.SEND
        && !body.isEmpty();
  }

  /** Returns this direction with a processor that does not hold back. */
  DirectionSpec withoutHoldBack() {
    return new DirectionSpec(mode, headerMode, trailerMode, body, trailers, transform, 0, async, passThrough, prefix);
  }

  @Override
  public String toString() {
    return mode + " headers " + headerMode + " trailers " + trailerMode + (trailers ? " (present)" : " (none)")
        + ", body " + body.size() + " B, " + transform + (holdBack > 0 ? ", holds back " + holdBack : "")
        + (async ? ", async" : "") + (passThrough ? ", passThrough" : "") + (prefix.isEmpty() ? "" : ", writes " + prefix.size() + " B in onHeaders");
  }
}
