package dev.extproc.sse;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.HttpHeaders;
import dev.extproc.Processing;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accounts an LLM answer's token usage on the response direction and hands it to Envoy as dynamic
 * metadata under {@link #NAMESPACE} ({@code input_tokens}, {@code output_tokens}, {@code
 * total_tokens}, {@code model}, and timing keys) with the direction's last reply, where Envoy's
 * access log ({@code %DYNAMIC_METADATA(extproc.llm:output_tokens)%}) and later filters see it.
 *
 * <p>The body passes through unchanged and uncopied: every chunk is {@linkplain
 * DirectionContext#passThrough passed through} while a parser reads it on the side. {@code
 * text/event-stream} answers are followed event by event in memory bounded by the largest event
 * ({@code maxEventBytes}); JSON answers are collected up to {@code maxJsonBytes} and read at the
 * end (a larger body is passed through and its usage reported unknown). Anything else passes
 * through untouched. A malformed stream (an oversize event, bad JSON) is logged once and the rest
 * passes through; the client never sees a difference.
 */
public final class LlmUsageProcessor implements DirectionProcessor {
  /** The dynamic metadata namespace; Envoy needs it in {@code metadata_options.receiving_namespaces.untyped}. */
  public static final String NAMESPACE = "extproc.llm";

  private static final Logger log = LoggerFactory.getLogger(LlmUsageProcessor.class);

  private enum Body { OTHER, EVENT_STREAM, JSON, GAVE_UP }

  private final int maxEventBytes;
  private final int maxJsonBytes;
  private final LlmUsageTracker tracker;
  private final Consumer<LlmUsage> onUsage;
  private final @Nullable String usageTrailer;
  private @Nullable LlmUsage usage;
  private Body body = Body.OTHER;
  private @Nullable SseParser parser;
  private ByteString json = ByteString.EMPTY;

  /**
   * @param json the mapper event data is parsed with (shared)
   * @param nanoClock the clock for time to first token and inter-token latency
   * @param maxEventBytes the largest event followed; a larger one ends the accounting of this answer
   * @param maxJsonBytes the largest whole JSON answer read
   * @param onUsage called once at the end with the usage found (for metrics); must not block
   */
  public LlmUsageProcessor(ObjectMapper json, LongSupplier nanoClock, int maxEventBytes, int maxJsonBytes,
      Consumer<LlmUsage> onUsage) {
    this(json, nanoClock, maxEventBytes, maxJsonBytes, onUsage, null);
  }

  /**
   * As {@link #LlmUsageProcessor(ObjectMapper, LongSupplier, int, int, Consumer)}, and when the
   * answer ends with trailers (Envoy sends them only when the upstream's response has trailers and
   * the response trailer mode is SEND), also sets trailer {@code usageTrailer} to {@link
   * LlmUsage#toHeaderValue()}.
   *
   * @param usageTrailer the trailer's name (lower case), or null for none
   */
  public LlmUsageProcessor(ObjectMapper json, LongSupplier nanoClock, int maxEventBytes, int maxJsonBytes,
      Consumer<LlmUsage> onUsage, @Nullable String usageTrailer) {
    this.usageTrailer = usageTrailer;
    this.tracker = new LlmUsageTracker(json, nanoClock);
    this.maxEventBytes = maxEventBytes;
    this.maxJsonBytes = maxJsonBytes;
    this.onUsage = requireNonNull(onUsage, "onUsage");
  }

  @Override
  public CompletionStage<Void> onHeaders(DirectionContext ctx, HttpHeaders headers, boolean endOfStream) {
    String type = headers.get("content-type");
    String mediaType = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    if (mediaType.equals("text/event-stream")) {
      body = Body.EVENT_STREAM;
      parser = new SseParser(maxEventBytes);
    } else if (mediaType.equals("application/json") || mediaType.endsWith("+json")) {
      body = Body.JSON;
    }
    return Processing.done();
  }

  @Override
  public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
    switch (body) {
      case EVENT_STREAM:
        try {
          parser.feed(chunk, tracker::onEvent);
        } catch (SseFramingException e) {
          giveUp(ctx, e.getMessage());
        }
        break;
      case JSON:
        if (json.size() + chunk.size() > maxJsonBytes) {
          giveUp(ctx, "JSON answer larger than " + maxJsonBytes + " bytes");
        } else {
          json = json.concat(chunk);
        }
        break;
      default:
        break;
    }
    return ctx.passThrough(chunk);
  }

  @Override
  public CompletionStage<Void> onEnd(DirectionContext ctx) {
    if (body == Body.JSON) {
      tracker.onJsonBody(json.toString(StandardCharsets.UTF_8));
      json = ByteString.EMPTY;
    }
    if (body == Body.EVENT_STREAM || body == Body.JSON || body == Body.GAVE_UP) {
      usage = tracker.usage();
      Map<String, Object> values = usage.toMetadata();
      for (Map.Entry<String, Object> entry : values.entrySet()) {
        ctx.exchange().putMetadata(NAMESPACE, entry.getKey(), entry.getValue());
      }
      if (tracker.malformedEvents() > 0) {
        log.info("exchange {}: {} LLM events with malformed JSON were skipped", ctx.exchange().id(), tracker.malformedEvents());
      }
      onUsage.accept(usage);
    }
    return Processing.done();
  }

  @Override
  public CompletionStage<Void> onTrailers(DirectionContext ctx, HttpHeaders trailers) {
    if (usageTrailer != null && usage != null) {
      ctx.setHeader(usageTrailer, usage.toHeaderValue());
    }
    return Processing.done();
  }

  private void giveUp(DirectionContext ctx, String why) {
    log.warn("exchange {}: LLM usage accounting stopped ({}); the body passes through unchanged", ctx.exchange().id(), why);
    body = Body.GAVE_UP;
    parser = null;
    json = ByteString.EMPTY;
  }
}
