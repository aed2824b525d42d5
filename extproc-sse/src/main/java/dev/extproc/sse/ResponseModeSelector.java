package dev.extproc.sse;

import static java.util.Objects.requireNonNull;

import dev.extproc.BodyMode;
import dev.extproc.DirectionContext;
import dev.extproc.ForwardingDirectionProcessor;
import dev.extproc.DirectionProcessor;
import dev.extproc.HttpHeaders;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import java.util.Locale;
import java.util.concurrent.CompletionStage;

/**
 * Chooses the response body mode per request from the response headers, through Envoy's {@code
 * mode_override}: event streams in FULL_DUPLEX_STREAMED (each event forwarded as it is read, no
 * per-message timer), JSON answers up to {@code maxBufferedBytes} (by {@code content-length}) in
 * BUFFERED, everything else in NONE (media and large bodies are not sent to the processor at all).
 * Decorates the response processor that then sees the body.
 *
 * <p>Envoy honours the override only when the filter has {@code allow_mode_override: true}, its
 * filter-level processing mode has no FULL_DUPLEX_STREAMED body mode, and {@code
 * send_body_without_waiting_for_header_response} is off; the server must be started with {@code
 * --mode-override-allowed}. Envoy takes both body modes literally and keeps the filter-level
 * header and trailer modes for DEFAULT; this selector asks for the request body mode NONE (the
 * request is over by the time response headers arrive) and trailers SEND in FULL_DUPLEX_STREAMED
 * (so real trailers wait for the body replies). See docs/sse.md for what Envoy 1.40 was observed to
 * accept.
 */
public final class ResponseModeSelector extends ForwardingDirectionProcessor {
  private final long maxBufferedBytes;

  /**
   * @param delegate the response processor
   * @param maxBufferedBytes the largest JSON body (by content-length) put in BUFFERED; match it to
   *     Envoy's buffer limit for the route
   */
  public ResponseModeSelector(DirectionProcessor delegate, long maxBufferedBytes) {
    super(delegate);
    this.maxBufferedBytes = maxBufferedBytes;
  }

  /** Returns the mode for a response with these headers. */
  public static BodyMode choose(HttpHeaders headers, long maxBufferedBytes) {
    requireNonNull(headers, "headers");
    String type = headers.get("content-type");
    String media = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    if (media.equals("text/event-stream")) {
      return BodyMode.FULL_DUPLEX_STREAMED;
    }
    long length = headers.contentLength();
    if ((media.equals("application/json") || media.endsWith("+json")) && length >= 0 && length <= maxBufferedBytes) {
      return BodyMode.BUFFERED;
    }
    return BodyMode.NONE;
  }

  @Override
  public CompletionStage<Void> onHeaders(DirectionContext ctx, HttpHeaders headers, boolean endOfStream) {
    BodyMode mode = choose(headers, maxBufferedBytes);
    if (!endOfStream && mode != ctx.bodyMode()) {
      ctx.exchange().overrideMode(ProcessingMode.newBuilder()
          .setRequestBodyMode(BodySendMode.NONE)
          .setResponseBodyMode(mode.toProto())
          .setResponseTrailerMode(mode == BodyMode.FULL_DUPLEX_STREAMED ? HeaderSendMode.SEND : HeaderSendMode.DEFAULT)
          .build());
    }
    return super.onHeaders(ctx, headers, endOfStream);
  }
}
