package dev.extproc;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;

/**
 * How Envoy sends one direction's body to the processor. The engine learns the mode in force from
 * {@code protocol_config} on the stream's first message, falls back to the server's configuration,
 * and follows any {@code mode_override} the processor sent.
 */
public enum BodyMode {
  /** No body messages; the body passes through Envoy untouched. */
  NONE,
  /** One message per body chunk, each answered in order with one body reply. */
  STREAMED,
  /** One message with the whole body (up to Envoy's buffer limit), answered with one body reply. */
  BUFFERED,
  /** One message with the body up to Envoy's buffer limit; the rest passes through unprocessed. */
  BUFFERED_PARTIAL,
  /** Chunks flow both ways without 1:1 pairing; replies are {@code streamed_response} chunks. */
  FULL_DUPLEX_STREAMED;

  /** Returns the mode for a wire value; unknown values (such as the unimplemented GRPC mode) map to {@link #NONE}, as Envoy treats them. */
  public static BodyMode fromProto(BodySendMode mode) {
    switch (mode) {
      case STREAMED:
        return STREAMED;
      case BUFFERED:
        return BUFFERED;
      case BUFFERED_PARTIAL:
        return BUFFERED_PARTIAL;
      case FULL_DUPLEX_STREAMED:
        return FULL_DUPLEX_STREAMED;
      default:
        return NONE;
    }
  }

  /** Returns the wire value of this mode. */
  public BodySendMode toProto() {
    return BodySendMode.valueOf(name());
  }

  /** Returns whether Envoy sends this direction's body as chunks (STREAMED or FULL_DUPLEX_STREAMED). */
  public boolean isStreaming() {
    return this == STREAMED || this == FULL_DUPLEX_STREAMED;
  }
}
