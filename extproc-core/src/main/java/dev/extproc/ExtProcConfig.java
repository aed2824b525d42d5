package dev.extproc;

import static java.util.Objects.requireNonNull;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;

/**
 * The engine's limits and defaults. Immutable; validated on construction, so a server never starts
 * with limits that contradict each other.
 *
 * @param maxChunkBytes the largest body chunk the engine sends in one FULL_DUPLEX_STREAMED reply
 *     (Envoy recommends at most 64 KiB); output is re-chunked to this size
 * @param maxBodyMessageBytes the largest body Envoy may send in one message: a whole BUFFERED
 *     body, or a STREAMED chunk aggregated while a header reply was pending. Match it to Envoy's
 *     buffer limits. Also the largest body a single STREAMED or BUFFERED reply may carry.
 * @param maxPendingOutputBytes the output bytes the engine holds per stream before {@link
 *     MessageContext#write} stages stop completing and no further message is read
 * @param maxInboundMessageBytes the gRPC server's max inbound message size; 0 derives it as
 *     {@code maxBodyMessageBytes} plus {@link #HEADER_ALLOWANCE_BYTES}
 * @param defaultMode the processing mode assumed when Envoy sends no {@code protocol_config}
 *     (Envoy before 1.32 or observability mode)
 * @param modeOverrideAllowed whether Envoy is configured with {@code allow_mode_override: true};
 *     when false, {@link MessageContext#overrideMode} is refused so the engine never believes in
 *     a mode change Envoy ignored
 * @param processorErrorPolicy what the client sees when a processor fails
 */
public record ExtProcConfig(
    int maxChunkBytes,
    int maxBodyMessageBytes,
    int maxPendingOutputBytes,
    int maxInboundMessageBytes,
    ProcessingMode defaultMode,
    boolean modeOverrideAllowed,
    ProcessorErrorPolicy processorErrorPolicy) {

  /** Room left in an inbound message beyond its body, for headers, trailers and metadata. */
  public static final int HEADER_ALLOWANCE_BYTES = 1024 * 1024;

  public static final int DEFAULT_MAX_CHUNK_BYTES = 64 * 1024;
  public static final int DEFAULT_MAX_BODY_MESSAGE_BYTES = 32 * 1024 * 1024;
  public static final int DEFAULT_MAX_PENDING_OUTPUT_BYTES = 1024 * 1024;

  /** What the client sees when a processor throws or its stage fails. */
  public enum ProcessorErrorPolicy {
    /** Fail the gRPC stream with INTERNAL; Envoy answers the client per its failure mode (500 by default). */
    FAIL_STREAM,
    /** Answer the client with an immediate 500, then end the stream. */
    IMMEDIATE_500
  }

  public ExtProcConfig {
    requireNonNull(defaultMode, "defaultMode");
    requireNonNull(processorErrorPolicy, "processorErrorPolicy");
    if (maxChunkBytes < 1) {
      throw new IllegalArgumentException("maxChunkBytes: " + maxChunkBytes + " (expected: > 0)");
    }
    if (maxPendingOutputBytes < maxChunkBytes) {
      throw new IllegalArgumentException(
          "maxPendingOutputBytes: " + maxPendingOutputBytes
              + " (expected: >= maxChunkBytes " + maxChunkBytes + ", or no chunk could ever be held)");
    }
    if (maxBodyMessageBytes < maxChunkBytes) {
      throw new IllegalArgumentException(
          "maxBodyMessageBytes: " + maxBodyMessageBytes
              + " (expected: >= maxChunkBytes " + maxChunkBytes + ")");
    }
    if (maxBodyMessageBytes > Integer.MAX_VALUE - HEADER_ALLOWANCE_BYTES) {
      throw new IllegalArgumentException(
          "maxBodyMessageBytes: " + maxBodyMessageBytes
              + " (expected: <= " + (Integer.MAX_VALUE - HEADER_ALLOWANCE_BYTES) + ")");
    }
    if (maxInboundMessageBytes == 0) {
      maxInboundMessageBytes = maxBodyMessageBytes + HEADER_ALLOWANCE_BYTES;
    } else if (maxInboundMessageBytes < maxBodyMessageBytes + HEADER_ALLOWANCE_BYTES) {
      throw new IllegalArgumentException(
          "maxInboundMessageBytes: " + maxInboundMessageBytes
              + " (expected: >= maxBodyMessageBytes + " + HEADER_ALLOWANCE_BYTES + " = "
              + ((long) maxBodyMessageBytes + HEADER_ALLOWANCE_BYTES)
              + ", or Envoy's largest body message would be refused by gRPC)");
    }
  }

  /** Returns the defaults: 64 KiB chunks, 32 MiB body messages, 1 MiB pending output, STREAMED both ways. */
  public static ExtProcConfig defaults() {
    return new ExtProcConfig(
        DEFAULT_MAX_CHUNK_BYTES,
        DEFAULT_MAX_BODY_MESSAGE_BYTES,
        DEFAULT_MAX_PENDING_OUTPUT_BYTES,
        0,
        ProcessingMode.newBuilder()
            .setRequestHeaderMode(HeaderSendMode.SEND)
            .setResponseHeaderMode(HeaderSendMode.SEND)
            .setRequestBodyMode(BodySendMode.STREAMED)
            .setResponseBodyMode(BodySendMode.STREAMED)
            .setRequestTrailerMode(HeaderSendMode.SEND)
            .setResponseTrailerMode(HeaderSendMode.SEND)
            .build(),
        false,
        ProcessorErrorPolicy.FAIL_STREAM);
  }

  /**
   * Returns the most body bytes the engine holds for one stream whose processor waits for its
   * write stages: one inbound message, the output budget ({@link #maxPendingOutputBytes}), and one
   * write per direction beyond it (a FULL_DUPLEX_STREAMED write is at most the budget). This, not
   * the body size, bounds a stream's memory. The one documented exception: in STREAMED, BUFFERED
   * and BUFFERED_PARTIAL a single reply may in addition carry up to {@link #maxBodyMessageBytes}
   * the processor wrote for that message, since Envoy wants exactly one reply per body message.
   */
  public long maxBytesHeldPerStream() {
    return (long) maxInboundMessageBytes + 3L * maxPendingOutputBytes;
  }

  public ExtProcConfig withMaxChunkBytes(int value) {
    return new ExtProcConfig(value, maxBodyMessageBytes, maxPendingOutputBytes, 0, defaultMode, modeOverrideAllowed, processorErrorPolicy);
  }

  public ExtProcConfig withMaxBodyMessageBytes(int value) {
    return new ExtProcConfig(maxChunkBytes, value, maxPendingOutputBytes, 0, defaultMode, modeOverrideAllowed, processorErrorPolicy);
  }

  public ExtProcConfig withMaxPendingOutputBytes(int value) {
    return new ExtProcConfig(maxChunkBytes, maxBodyMessageBytes, value, 0, defaultMode, modeOverrideAllowed, processorErrorPolicy);
  }

  public ExtProcConfig withMaxInboundMessageBytes(int value) {
    return new ExtProcConfig(maxChunkBytes, maxBodyMessageBytes, maxPendingOutputBytes, value, defaultMode, modeOverrideAllowed, processorErrorPolicy);
  }

  public ExtProcConfig withDefaultMode(ProcessingMode value) {
    return new ExtProcConfig(maxChunkBytes, maxBodyMessageBytes, maxPendingOutputBytes, 0, value, modeOverrideAllowed, processorErrorPolicy);
  }

  public ExtProcConfig withModeOverrideAllowed(boolean value) {
    return new ExtProcConfig(maxChunkBytes, maxBodyMessageBytes, maxPendingOutputBytes, 0, defaultMode, value, processorErrorPolicy);
  }

  public ExtProcConfig withProcessorErrorPolicy(ProcessorErrorPolicy value) {
    return new ExtProcConfig(maxChunkBytes, maxBodyMessageBytes, maxPendingOutputBytes, 0, defaultMode, modeOverrideAllowed, value);
  }
}
