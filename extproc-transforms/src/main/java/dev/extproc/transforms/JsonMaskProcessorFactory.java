package dev.extproc.transforms;

import static java.util.Objects.requireNonNull;

import dev.extproc.Direction;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExchangeInfo;
import dev.extproc.ProcessorFactory;
import java.util.List;

/**
 * The {@code json-mask} processor: masks or drops the configured fields of JSON request and
 * response bodies ({@code application/json} or {@code +json}; other bodies pass through untouched,
 * without a copy). gzip and deflate bodies are decoded and re-encoded. Counts per exchange go into
 * dynamic metadata, namespace {@value #NAMESPACE}: {@code <direction>_masked}, {@code
 * <direction>_dropped}.
 *
 * <p>Errors: malformed or truncated JSON, invalid UTF-8 → 400 for a request (a failed stream for a
 * response, whose headers are gone); a JSON charset other than UTF-8 → 415.
 */
public final class JsonMaskProcessorFactory implements ProcessorFactory {
  /** The dynamic metadata namespace of the counts. */
  public static final String NAMESPACE = "extproc.json_mask";
  /** Default bound on bytes held between two tokens. */
  public static final int DEFAULT_MAX_HELD_BYTES = 1024 * 1024;
  /** Default bound on one string or number token (Jackson keeps one whole token). */
  public static final int DEFAULT_MAX_TOKEN_BYTES = 16 * 1024 * 1024;

  private final List<JsonMaskRule> rules;
  private final DecodeLimits decodeLimits;

  public JsonMaskProcessorFactory(List<JsonMaskRule> rules, DecodeLimits decodeLimits) {
    this.rules = List.copyOf(requireNonNull(rules, "rules"));
    this.decodeLimits = requireNonNull(decodeLimits, "decodeLimits");
    if (this.rules.isEmpty()) {
      throw new IllegalArgumentException("rules: empty (expected: at least one field)");
    }
  }

  @Override
  public ExchangeHandler newProcessor(ExchangeInfo exchange) {
    return new TransformHandler(direction(), direction());
  }

  private TransformProcessor direction() {
    JsonMaskTransform[] transform = new JsonMaskTransform[1];
    TransformProcessor.Selector selector = headers -> {
      TextCharset text = TextCharset.of(headers.get("content-type"));
      if (!text.isJson()) {
        return null;
      }
      if (!text.charset().isEmpty() && !text.charset().equals("utf-8") && !text.charset().equals("utf8")) {
        throw new TransformException(415, "json-mask: charset " + text.charset() + " is not supported (expected: utf-8)");
      }
      transform[0] = new JsonMaskTransform(rules, DEFAULT_MAX_HELD_BYTES, DEFAULT_MAX_TOKEN_BYTES);
      return transform[0];
    };
    TransformProcessor.Finisher finisher = ctx -> {
      String direction = ctx.direction() == Direction.REQUEST ? "request" : "response";
      ctx.exchange().putMetadata(NAMESPACE, direction + "_masked", transform[0].maskedCount());
      ctx.exchange().putMetadata(NAMESPACE, direction + "_dropped", transform[0].droppedCount());
    };
    return new TransformProcessor("json-mask", selector, TransformProcessor.CodingPolicy.REENCODE, decodeLimits, finisher);
  }

  @Override
  public String toString() {
    return "json-mask" + rules;
  }
}
