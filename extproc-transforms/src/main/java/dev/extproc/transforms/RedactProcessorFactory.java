package dev.extproc.transforms;

import static java.util.Objects.requireNonNull;

import dev.extproc.Direction;
import dev.extproc.DirectionContext;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExchangeInfo;
import dev.extproc.ProcessorFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code redact} processor: finds the rules' matches in request and response bodies (across
 * every chunk boundary; gzip and deflate bodies decoded and re-encoded) and replaces them by the
 * rule's action. Counts per exchange go into dynamic metadata, namespace {@value #NAMESPACE}: keys
 * {@code request_redactions}, {@code response_redactions} and {@code <direction>_<rule>}.
 *
 * <p>Bodies whose {@code content-type} says text or JSON in UTF-8 are validated as UTF-8 (invalid
 * → 400 for a request, a failed stream for a response); other charsets than UTF-8, US-ASCII and
 * ISO-8859-1 are refused (415). Memory per direction: the longest rule's maximum match length + 1
 * byte, 3 bytes of UTF-8 carry, a decoder's window when decoding, and one chunk's output.
 */
public final class RedactProcessorFactory implements ProcessorFactory {
  /** The dynamic metadata namespace of the counts. */
  public static final String NAMESPACE = "extproc.redact";

  private final List<RedactRule> rules;
  private final DecodeLimits decodeLimits;

  public RedactProcessorFactory(List<RedactRule> rules, DecodeLimits decodeLimits) {
    this.rules = List.copyOf(requireNonNull(rules, "rules"));
    this.decodeLimits = requireNonNull(decodeLimits, "decodeLimits");
    if (this.rules.isEmpty()) {
      throw new IllegalArgumentException("rules: empty (expected: at least one)");
    }
    newMatcher(); // compile once now, so a bad rule fails at startup
  }

  /** Returns the factory of the default rules (card numbers, last four digits kept). */
  public static RedactProcessorFactory defaults() {
    return new RedactProcessorFactory(RedactRule.defaults(), DecodeLimits.DEFAULT);
  }

  @Override
  public ExchangeHandler newProcessor(ExchangeInfo exchange) {
    return new TransformHandler(direction(), direction());
  }

  private TransformProcessor direction() {
    StreamingMatcher[] matcher = new StreamingMatcher[1];
    TransformProcessor.Selector selector = headers -> {
      TextCharset text = TextCharset.of(headers.get("content-type"));
      text.requireAsciiCompatible("redact");
      matcher[0] = newMatcher();
      return text.expectsUtf8() ? new Utf8Boundaries().andThen(matcher[0]) : matcher[0];
    };
    TransformProcessor.Finisher finisher = ctx -> report(ctx, matcher[0]);
    return new TransformProcessor("redact", selector, TransformProcessor.CodingPolicy.REENCODE, decodeLimits, finisher);
  }

  private StreamingMatcher newMatcher() {
    List<MatchRule> matchRules = new ArrayList<>();
    for (RedactRule rule : rules) {
      matchRules.add(rule.toMatchRule());
    }
    return new StreamingMatcher(matchRules);
  }

  private static void report(DirectionContext ctx, StreamingMatcher matcher) {
    String direction = ctx.direction() == Direction.REQUEST ? "request" : "response";
    ctx.exchange().putMetadata(NAMESPACE, direction + "_redactions", matcher.total());
    for (Map.Entry<String, Long> count : matcher.counts().entrySet()) {
      ctx.exchange().putMetadata(NAMESPACE, direction + "_" + count.getKey().toLowerCase(Locale.ROOT), count.getValue());
    }
  }

  /** Returns the rules. */
  public List<RedactRule> rules() {
    return rules;
  }

  @Override
  public String toString() {
    return "redact" + rules;
  }
}
