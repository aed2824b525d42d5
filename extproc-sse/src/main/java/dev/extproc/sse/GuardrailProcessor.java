package dev.extproc.sse;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.extproc.DirectionContext;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A streaming guardrail for LLM answers: follows the generated text across events (a phrase split
 * between two deltas is still found) and, at the first blocked phrase, ends the stream with an
 * error event in the stream's own format ({@code content_filter}) after the last whole event that
 * was already forwarded. Nothing after it reaches the client; the response ends cleanly when the
 * upstream's does. Matching is case-insensitive on the text deltas, not on the JSON around them.
 *
 * <p>Memory: one event plus the longest phrase of text. Records the stop in dynamic metadata
 * ({@code extproc.llm: guardrail = "blocked"}).
 */
public final class GuardrailProcessor extends EventStreamProcessor {
  private static final Logger log = LoggerFactory.getLogger(GuardrailProcessor.class);

  private final ObjectMapper json;
  private final List<String> phrases;
  private final int window;
  private final StringBuilder recent = new StringBuilder();
  private LlmFormat format = LlmFormat.OPENAI_CHAT;

  /**
   * @param phrases the blocked phrases (compared in lower case); none may be empty
   */
  public GuardrailProcessor(ObjectMapper json, List<String> phrases, int maxEventBytes) {
    super(maxEventBytes);
    this.json = requireNonNull(json, "json");
    if (phrases.isEmpty()) {
      throw new IllegalArgumentException("blocked phrases: none (expected: at least one)");
    }
    this.phrases = phrases.stream().map(p -> {
      if (p.isBlank()) {
        throw new IllegalArgumentException("blocked phrase: empty (expected: text)");
      }
      return p.toLowerCase(Locale.ROOT);
    }).toList();
    this.window = this.phrases.stream().mapToInt(String::length).max().orElse(1);
  }

  @Override
  protected void onEvent(DirectionContext ctx, SseEvent event, EventSink sink) {
    LlmFormat seen = LlmContent.formatOf(json, event);
    if (seen != null) {
      format = seen;
    }
    String text = LlmContent.text(json, event);
    if (!text.isEmpty()) {
      recent.append(text.toLowerCase(Locale.ROOT));
      for (String phrase : phrases) {
        if (recent.indexOf(phrase) >= 0) {
          log.info("exchange {}: guardrail stopped the answer (a blocked phrase)", ctx.exchange().id());
          ctx.exchange().putMetadata(LlmUsageProcessor.NAMESPACE, "guardrail", "blocked");
          sink.write(LlmContent.errorEvent(json, format, "content_filter", "The answer was stopped by a content policy."));
          sink.stop();
          return;
        }
      }
      if (recent.length() > window) {
        recent.delete(0, recent.length() - (window - 1));
      }
    }
    sink.pass(event);
  }
}
