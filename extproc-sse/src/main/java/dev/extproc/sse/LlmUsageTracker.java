package dev.extproc.sse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Follows one LLM answer — an event stream or a whole JSON body — in the OpenAI Chat Completions,
 * OpenAI Responses or Anthropic Messages format, and keeps its {@link LlmUsage}. The format is
 * recognised per event from its documented shape, so one tracker serves any of them. Events it
 * does not know, and data that is not JSON (OpenAI's {@code [DONE]}), are skipped; malformed JSON
 * is counted in {@link #malformedEvents()} and otherwise ignored: usage is then reported as far as
 * it is known, never guessed.
 *
 * <p>Memory: one event's JSON tree at a time. One instance per answer; not thread-safe.
 */
public final class LlmUsageTracker {
  private final ObjectMapper json;
  private final LongSupplier nanoClock;
  private final long startNanos;

  private @Nullable String model;
  private long input = -1;
  private long output = -1;
  private long total = -1;
  private long cached = -1;
  private long contentEvents;
  private long firstContentNanos = -1;
  private long lastContentNanos = -1;
  private long gapNanosSum;
  private long malformed;
  private @Nullable String error;

  /**
   * @param json the mapper to parse event data with (shared; ObjectMapper is thread-safe)
   * @param nanoClock the clock timing is measured with ({@code System::nanoTime} in production)
   */
  public LlmUsageTracker(ObjectMapper json, LongSupplier nanoClock) {
    this.json = json;
    this.nanoClock = nanoClock;
    this.startNanos = nanoClock.getAsLong();
  }

  /** Takes one event of a stream; blocks that dispatch nothing (comments, pings) are ignored. */
  public void onEvent(SseEvent event) {
    if (!event.dispatched() || event.data().startsWith("[DONE]")) {
      return;
    }
    JsonNode node = parse(event.data());
    if (node == null) {
      return;
    }
    String type = event.type().equals(SseEvent.DEFAULT_TYPE) ? node.path("type").asText("") : event.type();
    if (node.path("object").asText("").equals("chat.completion.chunk")) {
      onChatChunk(node);
    } else if (type.startsWith("response.")) {
      onResponsesEvent(type, node);
    } else if (type.startsWith("message_") || type.startsWith("content_block_")) {
      onAnthropicEvent(type, node);
    } else if (type.equals("error") || node.has("error")) {
      JsonNode err = node.path("error");
      error = err.isObject() ? firstText(err.path("type"), err.path("code"), err.path("message")) : node.path("message").asText("error");
    }
  }

  /** Takes a whole (non-streaming) JSON answer of any of the three formats. */
  public void onJsonBody(String body) {
    JsonNode node = parse(body);
    if (node == null) {
      return;
    }
    setModel(node.path("model"));
    if (node.has("error")) {
      JsonNode err = node.path("error");
      error = firstText(err.path("type"), err.path("code"), err.path("message"));
    }
    JsonNode usage = node.path("usage");
    if (node.path("object").asText("").equals("response")) {
      responsesUsage(usage);
    } else if (node.path("type").asText("").equals("message")) {
      anthropicUsage(usage);
    } else {
      chatUsage(usage);
    }
  }

  /** Returns the usage known so far. */
  public LlmUsage usage() {
    long knownTotal = total >= 0 ? total : (input >= 0 && output >= 0 ? input + output : -1);
    long ttft = firstContentNanos < 0 ? -1 : firstContentNanos - startNanos;
    long itl = contentEvents < 2 ? -1 : gapNanosSum / (contentEvents - 1);
    return new LlmUsage(model, input, output, knownTotal, cached, contentEvents, ttft, itl, error);
  }

  /** Returns how many events had data that did not parse as JSON. */
  public long malformedEvents() {
    return malformed;
  }

  private void onChatChunk(JsonNode chunk) {
    setModel(chunk.path("model"));
    for (JsonNode choice : chunk.path("choices")) {
      JsonNode delta = choice.path("delta");
      if (hasText(delta.path("content")) || delta.path("tool_calls").size() > 0 || hasText(delta.path("refusal"))) {
        content();
        break;
      }
    }
    chatUsage(chunk.path("usage"));
  }

  private void chatUsage(JsonNode usage) {
    if (!usage.isObject()) {
      return; // "usage": null on every chunk but the last, when usage was requested
    }
    input = usage.path("prompt_tokens").asLong(input);
    output = usage.path("completion_tokens").asLong(output);
    total = usage.path("total_tokens").asLong(total);
    cached = usage.path("prompt_tokens_details").path("cached_tokens").asLong(cached);
  }

  private void onResponsesEvent(String type, JsonNode event) {
    JsonNode response = event.path("response");
    setModel(response.path("model"));
    if (type.endsWith(".delta") && !type.startsWith("response.audio")) {
      content();
    }
    if (type.equals("response.completed") || type.equals("response.incomplete") || type.equals("response.failed")) {
      responsesUsage(response.path("usage"));
      if (type.equals("response.failed")) {
        JsonNode err = response.path("error");
        error = err.isObject() ? firstText(err.path("code"), err.path("message")) : "response.failed";
      }
    }
  }

  private void responsesUsage(JsonNode usage) {
    if (!usage.isObject()) {
      return;
    }
    input = usage.path("input_tokens").asLong(input);
    output = usage.path("output_tokens").asLong(output);
    total = usage.path("total_tokens").asLong(total);
    cached = usage.path("input_tokens_details").path("cached_tokens").asLong(cached);
  }

  private void onAnthropicEvent(String type, JsonNode event) {
    switch (type) {
      case "message_start":
        setModel(event.path("message").path("model"));
        anthropicUsage(event.path("message").path("usage"));
        break;
      case "content_block_delta":
        content();
        break;
      case "message_delta":
        anthropicUsage(event.path("usage")); // cumulative: replaces, never adds
        break;
      default:
        break;
    }
  }

  private void anthropicUsage(JsonNode usage) {
    if (!usage.isObject()) {
      return;
    }
    if (usage.has("input_tokens") || usage.has("cache_read_input_tokens") || usage.has("cache_creation_input_tokens")) {
      long read = usage.path("cache_read_input_tokens").asLong(0);
      long created = usage.path("cache_creation_input_tokens").asLong(0);
      long plain = usage.path("input_tokens").asLong(0);
      input = plain + read + created;
      cached = read;
    }
    output = usage.path("output_tokens").asLong(output);
    total = -1; // Anthropic sends no total: input + output
  }

  private void content() {
    long now = nanoClock.getAsLong();
    if (firstContentNanos < 0) {
      firstContentNanos = now;
    } else {
      gapNanosSum += now - lastContentNanos;
    }
    lastContentNanos = now;
    contentEvents++;
  }

  private void setModel(JsonNode node) {
    if (node.isTextual() && !node.asText().isEmpty()) {
      model = node.asText();
    }
  }

  private @Nullable JsonNode parse(String data) {
    try {
      JsonNode node = json.readTree(data);
      return node != null && node.isObject() ? node : null;
    } catch (JsonProcessingException e) {
      malformed++;
      return null;
    }
  }

  private static boolean hasText(JsonNode node) {
    return node.isTextual() && !node.asText().isEmpty();
  }

  private static String firstText(JsonNode... nodes) {
    for (JsonNode node : nodes) {
      if (node.isValueNode() && !node.asText().isEmpty()) {
        return node.asText();
      }
    }
    return "error";
  }
}
