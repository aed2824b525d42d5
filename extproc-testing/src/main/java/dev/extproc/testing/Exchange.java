package dev.extproc.testing;

import static java.util.Objects.requireNonNull;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One HTTP exchange for {@link FakeEnvoy#run}: the ext_proc filter's configuration (processing
 * mode, mode override, buffer limit, failure mode) and the HTTP traffic (request from the client,
 * response from the upstream, how the bodies are chunked). Immutable; made by {@link #builder()}.
 *
 * <p>Defaults follow Envoy: headers SEND, trailers SKIP, bodies NONE, {@code protocol_config} on
 * the first message, a 1 MiB buffer limit, fail closed, HTTP/1 framing (an empty last chunk ends
 * each body), 16 KiB chunks. The request defaults to {@code POST /} with no body; the response to
 * {@code :status 200} with no body.
 */
public final class Exchange {
  final ProcessingMode mode;
  final boolean sendProtocolConfig;
  final boolean allowModeOverride;
  final List<ProcessingMode> allowedOverrideModes;
  final boolean sendBodyWithoutWaitingForHeaderResponse;
  final Headers requestHeaders;
  final BodySource requestBody;
  final Headers requestTrailers;
  final Headers responseHeaders;
  final BodySource responseBody;
  final boolean echoRequestBody;
  final Headers responseTrailers;
  final int[] chunkSizes;
  final Framing framing;
  final int bufferLimit;
  final long heldBeforeHeaderReply;
  final boolean failureModeAllow;
  final boolean addContentLength;
  final int keepBodyBytes;
  final CloseMode closeMode;
  final int logLimit;
  final Duration messageTimeout;
  final io.envoyproxy.envoy.config.core.v3.Metadata metadataContext;
  final com.google.protobuf.Struct requestAttributes;
  final com.google.protobuf.Struct responseAttributes;

  private Exchange(Builder b) {
    this.mode = b.mode.build();
    this.sendProtocolConfig = b.sendProtocolConfig;
    this.allowModeOverride = b.allowModeOverride;
    this.allowedOverrideModes = List.copyOf(b.allowedOverrideModes);
    this.sendBodyWithoutWaitingForHeaderResponse = b.sendBodyWithoutWaitingForHeaderResponse;
    this.requestHeaders = b.requestHeaders;
    this.requestBody = b.requestBody;
    this.requestTrailers = b.requestTrailers;
    this.responseHeaders = b.responseHeaders;
    this.responseBody = b.responseBody;
    this.echoRequestBody = b.echoRequestBody;
    this.responseTrailers = b.responseTrailers;
    this.chunkSizes = b.chunkSizes.clone();
    this.framing = b.framing;
    this.bufferLimit = b.bufferLimit;
    this.heldBeforeHeaderReply = b.heldBeforeHeaderReply;
    this.failureModeAllow = b.failureModeAllow;
    this.addContentLength = b.addContentLength;
    this.keepBodyBytes = b.keepBodyBytes;
    this.closeMode = b.closeMode;
    this.logLimit = b.logLimit;
    this.messageTimeout = b.messageTimeout;
    this.metadataContext = b.metadataContext;
    this.requestAttributes = b.requestAttributes;
    this.responseAttributes = b.responseAttributes;
  }

  /** Returns a builder with Envoy's defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the filter-level processing mode. */
  public ProcessingMode mode() {
    return mode;
  }

  /** Builds an {@link Exchange}. */
  public static final class Builder {
    private final ProcessingMode.Builder mode = ProcessingMode.newBuilder()
        .setRequestHeaderMode(HeaderSendMode.SEND)
        .setResponseHeaderMode(HeaderSendMode.SEND)
        .setRequestTrailerMode(HeaderSendMode.SKIP)
        .setResponseTrailerMode(HeaderSendMode.SKIP)
        .setRequestBodyMode(BodySendMode.NONE)
        .setResponseBodyMode(BodySendMode.NONE);
    private boolean sendProtocolConfig = true;
    private boolean allowModeOverride;
    private final List<ProcessingMode> allowedOverrideModes = new ArrayList<>();
    private boolean sendBodyWithoutWaitingForHeaderResponse;
    private Headers requestHeaders =
        Headers.of(":method", "POST", ":path", "/", ":scheme", "http", ":authority", "fake-envoy.test");
    private BodySource requestBody = BodySource.none();
    private Headers requestTrailers;
    private Headers responseHeaders = Headers.of(":status", "200");
    private BodySource responseBody = BodySource.none();
    private boolean echoRequestBody;
    private Headers responseTrailers;
    private int[] chunkSizes = {16 * 1024};
    private Framing framing = Framing.HTTP1;
    private int bufferLimit = 1024 * 1024;
    private long heldBeforeHeaderReply;
    private boolean failureModeAllow;
    private boolean addContentLength = true;
    private int keepBodyBytes = 1024 * 1024;
    private CloseMode closeMode = CloseMode.RESET;
    private int logLimit = 1000;
    private Duration messageTimeout;
    private io.envoyproxy.envoy.config.core.v3.Metadata metadataContext;
    private com.google.protobuf.Struct requestAttributes;
    private com.google.protobuf.Struct responseAttributes;

    private Builder() {}

    /** Sets the whole filter-level processing mode. */
    public Builder processingMode(ProcessingMode value) {
      mode.clear().mergeFrom(requireNonNull(value, "value"));
      return this;
    }

    /** Sets both body modes. */
    public Builder bodyMode(BodySendMode value) {
      return requestBodyMode(value).responseBodyMode(value);
    }

    /** Sets the request body mode. */
    public Builder requestBodyMode(BodySendMode value) {
      mode.setRequestBodyMode(requireNonNull(value, "value"));
      return this;
    }

    /** Sets the response body mode. */
    public Builder responseBodyMode(BodySendMode value) {
      mode.setResponseBodyMode(requireNonNull(value, "value"));
      return this;
    }

    /** Sets the request header mode (SEND or SKIP). */
    public Builder requestHeaderMode(HeaderSendMode value) {
      mode.setRequestHeaderMode(requireNonNull(value, "value"));
      return this;
    }

    /** Sets the response header mode (SEND or SKIP). */
    public Builder responseHeaderMode(HeaderSendMode value) {
      mode.setResponseHeaderMode(requireNonNull(value, "value"));
      return this;
    }

    /** Sets both trailer modes (SEND or SKIP). */
    public Builder trailerMode(HeaderSendMode value) {
      mode.setRequestTrailerMode(requireNonNull(value, "value"));
      mode.setResponseTrailerMode(value);
      return this;
    }

    /** Sets the request trailer mode. */
    public Builder requestTrailerMode(HeaderSendMode value) {
      mode.setRequestTrailerMode(requireNonNull(value, "value"));
      return this;
    }

    /** Sets the response trailer mode. */
    public Builder responseTrailerMode(HeaderSendMode value) {
      mode.setResponseTrailerMode(requireNonNull(value, "value"));
      return this;
    }

    /** Whether the first message carries {@code protocol_config} (true, as Envoy 1.32+ does). */
    public Builder sendProtocolConfig(boolean value) {
      this.sendProtocolConfig = value;
      return this;
    }

    /** Envoy's {@code allow_mode_override}: whether {@code mode_override} in header replies is followed. */
    public Builder allowModeOverride(boolean value) {
      this.allowModeOverride = value;
      return this;
    }

    /** Envoy's {@code allowed_override_modes}: when non-empty, an override must equal one of these. */
    public Builder allowedOverrideModes(List<ProcessingMode> value) {
      allowedOverrideModes.clear();
      allowedOverrideModes.addAll(value);
      return this;
    }

    /** Envoy's {@code send_body_without_waiting_for_header_response} (STREAMED only). */
    public Builder sendBodyWithoutWaitingForHeaderResponse(boolean value) {
      this.sendBodyWithoutWaitingForHeaderResponse = value;
      return this;
    }

    /** Sets the request headers as the client sent them (pseudo-headers included). */
    public Builder requestHeaders(Headers value) {
      this.requestHeaders = requireNonNull(value, "value");
      return this;
    }

    /** Sets the request body ({@link BodySource#none()} by default). */
    public Builder requestBody(BodySource value) {
      this.requestBody = requireNonNull(value, "value");
      return this;
    }

    /** Sets the request trailers; {@code null} (the default) means none. */
    public Builder requestTrailers(Headers value) {
      this.requestTrailers = value;
      return this;
    }

    /** Sets the upstream's response headers ({@code :status 200} by default). */
    public Builder responseHeaders(Headers value) {
      this.responseHeaders = requireNonNull(value, "value");
      return this;
    }

    /** Sets the upstream's response body ({@link BodySource#none()} by default). */
    public Builder responseBody(BodySource value) {
      this.responseBody = requireNonNull(value, "value");
      this.echoRequestBody = false;
      return this;
    }

    /**
     * Makes the upstream an echo backend: the response body is the request body as it came out of
     * the processor. It is spooled through a temporary file, never held in memory.
     */
    public Builder echoRequestBody() {
      this.echoRequestBody = true;
      return this;
    }

    /** Sets the upstream's response trailers; {@code null} (the default) means none. */
    public Builder responseTrailers(Headers value) {
      this.responseTrailers = value;
      return this;
    }

    /** Cuts bodies into chunks of {@code bytes} (the size of Envoy's network reads). */
    public Builder chunkSize(int bytes) {
      return chunkSizes(bytes);
    }

    /**
     * Cuts bodies into chunks of these sizes, in order; the last size repeats if the body is longer.
     */
    public Builder chunkSizes(int... bytes) {
      if (bytes.length == 0) {
        throw new IllegalArgumentException("chunkSizes: none (expected: at least one)");
      }
      for (int size : bytes) {
        if (size < 1) {
          throw new IllegalArgumentException("chunk size: " + size + " (expected: > 0)");
        }
      }
      this.chunkSizes = bytes.clone();
      return this;
    }

    /** Sets how the end of each body is framed ({@link Framing#HTTP1} by default). */
    public Builder framing(Framing value) {
      this.framing = requireNonNull(value, "value");
      return this;
    }

    /**
     * Sets Envoy's stream buffer limit (default 1 MiB): the BUFFERED cap (413 for a request, 500
     * for a response beyond it), the BUFFERED_PARTIAL message size, and the STREAMED watermark on
     * unanswered bytes.
     */
    public Builder bufferLimit(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("bufferLimit: " + bytes + " (expected: > 0)");
      }
      this.bufferLimit = bytes;
      return this;
    }

    /**
     * In STREAMED, how many body bytes reach Envoy while it waits for the header reply (default 0:
     * the body arrives after the reply). Those whole chunks, up to the buffer limit, are sent as one
     * aggregated chunk after the header reply, as Envoy does.
     */
    public Builder heldBeforeHeaderReply(long bytes) {
      this.heldBeforeHeaderReply = bytes;
      return this;
    }

    /** Envoy's {@code failure_mode_allow}: continue without ext_proc on a server error. */
    public Builder failureModeAllow(boolean value) {
      this.failureModeAllow = value;
      return this;
    }

    /** Whether a message with a body gets a {@code content-length} header when it has none (default true). */
    public Builder addContentLength(boolean value) {
      this.addContentLength = value;
      return this;
    }

    /** Bodies up to this many bytes are kept for assertions (default 1 MiB); longer ones only digested. */
    public Builder keepBodyBytes(int bytes) {
      this.keepBodyBytes = bytes;
      return this;
    }

    /** Sets how the gRPC stream ends ({@link CloseMode#RESET}, Envoy's default). */
    public Builder closeMode(CloseMode value) {
      this.closeMode = requireNonNull(value, "value");
      return this;
    }

    /** Keeps the full message log only while it has at most this many messages (default 1000). */
    public Builder logLimit(int messages) {
      this.logLimit = messages;
      return this;
    }

    /**
     * Enables Envoy's per-message timer ({@code message_timeout}, 200 ms in Envoy; off by default
     * here because test machines are slow): when a reply Envoy awaits outside FULL_DUPLEX_STREAMED
     * takes longer, the client gets 504 (or, with {@link #failureModeAllow}, the exchange continues
     * without ext_proc) and later replies are ignored.
     */
    public Builder messageTimeout(Duration value) {
      requireNonNull(value, "value");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("messageTimeout: " + value + " (expected: > 0)");
      }
      this.messageTimeout = value;
      return this;
    }

    /** Sets the {@code metadata_context} Envoy forwards on every message (none by default). */
    public Builder metadataContext(io.envoyproxy.envoy.config.core.v3.Metadata value) {
      this.metadataContext = requireNonNull(value, "value");
      return this;
    }

    /**
     * Sets the evaluated request attributes, sent on the first request-direction message under the
     * key {@code envoy.filters.http.ext_proc}, as Envoy does (none by default).
     */
    public Builder requestAttributes(com.google.protobuf.Struct value) {
      this.requestAttributes = requireNonNull(value, "value");
      return this;
    }

    /** Sets the evaluated response attributes, sent on the first response-direction message. */
    public Builder responseAttributes(com.google.protobuf.Struct value) {
      this.responseAttributes = requireNonNull(value, "value");
      return this;
    }

    /** Returns the exchange. */
    public Exchange build() {
      if (echoRequestBody && !requestBody.present()) {
        echoRequestBody = false;
        responseBody = BodySource.none();
      }
      return new Exchange(this);
    }
  }
}
