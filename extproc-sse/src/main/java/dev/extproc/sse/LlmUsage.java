package dev.extproc.sse;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Token usage and timing of one LLM answer, as far as it is known. Counts are -1 when the stream
 * did not say (for example an OpenAI chat stream requested without {@code
 * stream_options.include_usage}, or a stream cut before its usage event): unknown is not zero.
 *
 * <p>Definitions: {@code inputTokens} is every input token the model processed — for Anthropic
 * {@code input_tokens + cache_creation_input_tokens + cache_read_input_tokens}, whose split is in
 * {@code cachedInputTokens} (cache reads; OpenAI's {@code cached_tokens}); {@code totalTokens} is
 * the provider's total when it sends one, else input + output when both are known.
 *
 * @param model the model that answered, or null when not seen
 * @param inputTokens input (prompt) tokens, or -1
 * @param outputTokens output (completion) tokens, or -1
 * @param totalTokens total tokens, or -1
 * @param cachedInputTokens input tokens read from a prompt cache, or -1
 * @param contentEvents events that carried generated content (text, tool-call or reasoning deltas)
 * @param timeToFirstTokenNanos from the start of the response to the first content event, or -1
 * @param meanInterTokenNanos the mean gap between consecutive content events, or -1 with fewer than two
 * @param error the provider's error type or message when the stream carried an error event, or null
 */
public record LlmUsage(
    @Nullable String model,
    long inputTokens,
    long outputTokens,
    long totalTokens,
    long cachedInputTokens,
    long contentEvents,
    long timeToFirstTokenNanos,
    long meanInterTokenNanos,
    @Nullable String error) {

  /** Returns the values Envoy receives as dynamic metadata: only what is known, under stable keys. */
  public Map<String, Object> toMetadata() {
    Map<String, Object> values = new LinkedHashMap<>();
    if (model != null) {
      values.put("model", model);
    }
    putKnown(values, "input_tokens", inputTokens);
    putKnown(values, "output_tokens", outputTokens);
    putKnown(values, "total_tokens", totalTokens);
    putKnown(values, "cached_input_tokens", cachedInputTokens);
    if (timeToFirstTokenNanos >= 0) {
      values.put("time_to_first_token_ms", timeToFirstTokenNanos / 1_000_000.0);
    }
    if (meanInterTokenNanos >= 0) {
      values.put("inter_token_latency_ms", meanInterTokenNanos / 1_000_000.0);
    }
    if (error != null) {
      values.put("error", error);
    }
    return values;
  }

  /**
   * Returns the usage as one header value, for a response trailer: {@code model=m; input_tokens=12;
   * output_tokens=100; total_tokens=112}, only what is known. Characters a header value may not
   * hold (controls, non-ASCII) and the separators {@code ;} and {@code =} in the model name become
   * {@code _}.
   */
  public String toHeaderValue() {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, Object> entry : toMetadata().entrySet()) {
      if (entry.getKey().equals("error")) {
        continue;
      }
      Object value = entry.getValue();
      String text = value instanceof Double d ? String.format(java.util.Locale.ROOT, "%.1f", d) : String.valueOf(value);
      StringBuilder safe = new StringBuilder(text.length());
      text.chars().forEach(c -> safe.append(c < 0x21 || c > 0x7e || c == ';' || c == '=' ? '_' : (char) c));
      out.append(out.length() == 0 ? "" : "; ").append(entry.getKey()).append('=').append(safe);
    }
    return out.toString();
  }

  private static void putKnown(Map<String, Object> values, String key, long value) {
    if (value >= 0) {
      values.put(key, value);
    }
  }
}
