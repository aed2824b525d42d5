package dev.extproc.sse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;

/** The generated text an LLM stream event carries, and error events in each format. Pure functions. */
public final class LlmContent {
  private LlmContent() {}

  /** Returns the text an event adds to the answer (content, refusal or output-text deltas), or "" when none. */
  public static String text(ObjectMapper json, SseEvent event) {
    if (!event.dispatched() || event.data().startsWith("[DONE]")) {
      return "";
    }
    JsonNode node;
    try {
      node = json.readTree(event.data());
    } catch (JsonProcessingException e) {
      return "";
    }
    if (node == null || !node.isObject()) {
      return "";
    }
    if (node.path("object").asText("").equals("chat.completion.chunk")) {
      StringBuilder text = new StringBuilder();
      for (JsonNode choice : node.path("choices")) {
        text.append(choice.path("delta").path("content").asText("")).append(choice.path("delta").path("refusal").asText(""));
      }
      return text.toString();
    }
    String type = event.type().equals(SseEvent.DEFAULT_TYPE) ? node.path("type").asText("") : event.type();
    if (type.equals("response.output_text.delta") || type.equals("response.refusal.delta")) {
      return node.path("delta").asText("");
    }
    if (type.equals("content_block_delta")) {
      return node.path("delta").path("text").asText("");
    }
    return "";
  }

  /**
   * Returns the bytes that end a stream of {@code format} with an error the provider's clients
   * understand: OpenAI chat an {@code error} payload then {@code [DONE]}; Responses an {@code error}
   * event; Anthropic an {@code error} event.
   */
  public static ByteString errorEvent(ObjectMapper json, LlmFormat format, String type, String message) {
    String text;
    switch (format) {
      case OPENAI_CHAT:
        text = "data: " + object(json, "error", json.createObjectNode().put("type", type).put("message", message)) + "\n\n"
            + "data: [DONE]\n\n";
        break;
      case OPENAI_RESPONSES:
        text = "event: error\ndata: " + json.createObjectNode().put("type", "error").put("code", type).put("message", message)
            + "\n\n";
        break;
      default:
        text = "event: error\ndata: " + json.createObjectNode().put("type", "error")
            .set("error", json.createObjectNode().put("type", type).put("message", message)) + "\n\n";
        break;
    }
    return ByteString.copyFrom(text, StandardCharsets.UTF_8);
  }

  /** Returns the format an event belongs to, or null when it does not say. */
  public static LlmFormat formatOf(ObjectMapper json, SseEvent event) {
    if (event.type().startsWith("response.")) {
      return LlmFormat.OPENAI_RESPONSES;
    }
    if (event.type().startsWith("message_") || event.type().startsWith("content_block_") || event.type().equals("ping")) {
      return LlmFormat.ANTHROPIC;
    }
    if (event.data().contains("\"chat.completion.chunk\"")) {
      return LlmFormat.OPENAI_CHAT;
    }
    return null;
  }

  private static String object(ObjectMapper json, String field, JsonNode value) {
    return json.createObjectNode().set(field, value).toString();
  }
}
