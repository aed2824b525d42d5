package dev.extproc.sse;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A synthetic LLM answer as an event stream in one of the {@link LlmFormat}s, shaped like the
 * providers' documented events (the project's own fixtures; no recorded traffic): a start event,
 * {@code contentEvents} text deltas, the usage, and the format's end. Blocks are made one at a
 * time, so a stream of any length costs no memory beyond one event.
 *
 * <p>Usage reported: {@code inputTokens} as given, one output token per content event, total the
 * sum; {@link #expectedUsage()} says what a correct tracker must find.
 */
public final class SyntheticLlmStream {
  private final LlmFormat format;
  private final String model;
  private final int contentEvents;
  private final long inputTokens;
  private final List<String> words;
  private int next;

  public SyntheticLlmStream(LlmFormat format, String model, int contentEvents, long inputTokens) {
    this(format, model, contentEvents, inputTokens, List.of());
  }

  /**
   * @param words the text of the content events, used in turn ({@code tok1 }, {@code tok2 }, ...
   *     when empty); plain text without quotes or backslashes
   */
  public SyntheticLlmStream(LlmFormat format, String model, int contentEvents, long inputTokens, List<String> words) {
    this.format = requireNonNull(format, "format");
    this.model = requireNonNull(model, "model");
    if (contentEvents < 0) {
      throw new IllegalArgumentException("contentEvents: " + contentEvents + " (expected: >= 0)");
    }
    this.contentEvents = contentEvents;
    this.inputTokens = inputTokens;
    for (String word : words) {
      if (word.indexOf('"') >= 0 || word.indexOf('\\') >= 0) {
        throw new IllegalArgumentException("word: " + word + " (expected: no quotes or backslashes)");
      }
    }
    this.words = List.copyOf(words);
  }

  /** Returns the usage the stream reports. */
  public LlmUsage expectedUsage() {
    return new LlmUsage(model, inputTokens, contentEvents, inputTokens + contentEvents, -1, contentEvents, -1, -1, null);
  }

  /** Returns whether {@link #nextBlock()} has more. */
  public boolean hasNext() {
    return next < contentEvents + 3;
  }

  /** Returns the next block of the stream (LF-framed). */
  public ByteString nextBlock() {
    if (!hasNext()) {
      throw new IllegalStateException("the stream has ended");
    }
    int index = next++;
    String text;
    if (index == 0) {
      text = start();
    } else if (index <= contentEvents) {
      text = delta(index);
    } else if (index == contentEvents + 1) {
      text = usage();
    } else {
      text = end();
    }
    return ByteString.copyFrom(text, StandardCharsets.UTF_8);
  }

  private String start() {
    switch (format) {
      case OPENAI_CHAT:
        return data("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + model
            + "\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}");
      case OPENAI_RESPONSES:
        return typed("response.created", "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\","
            + "\"object\":\"response\",\"status\":\"in_progress\",\"model\":\"" + model + "\",\"usage\":null}}");
      default:
        return typed("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
            + "\"role\":\"assistant\",\"model\":\"" + model + "\",\"content\":[],\"usage\":{\"input_tokens\":" + inputTokens
            + ",\"output_tokens\":1}}}");
    }
  }

  private String delta(int index) {
    String word = words.isEmpty() ? "tok" + index + " " : words.get((index - 1) % words.size());
    switch (format) {
      case OPENAI_CHAT:
        return data("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + model
            + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + word + "\"},\"finish_reason\":null}],\"usage\":null}");
      case OPENAI_RESPONSES:
        return typed("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"sequence_number\":" + index
            + ",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"" + word + "\"}");
      default:
        return (index == 1 ? typed("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,"
            + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}") + typed("ping", "{\"type\":\"ping\"}") : "")
            + typed("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
            + "\"text\":\"" + word + "\"}}");
    }
  }

  private String usage() {
    long total = inputTokens + contentEvents;
    switch (format) {
      case OPENAI_CHAT:
        return data("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + model
            + "\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}")
            + data("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + model
            + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":" + inputTokens + ",\"completion_tokens\":" + contentEvents
            + ",\"total_tokens\":" + total + "}}");
      case OPENAI_RESPONSES:
        return typed("response.output_text.done", "{\"type\":\"response.output_text.done\",\"sequence_number\":"
            + (contentEvents + 1) + ",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"text\":\"...\"}");
      default:
        return typed("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
            + typed("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
            + "\"usage\":{\"output_tokens\":" + contentEvents + "}}");
    }
  }

  private String end() {
    long total = inputTokens + contentEvents;
    switch (format) {
      case OPENAI_CHAT:
        return "data: [DONE]\n\n";
      case OPENAI_RESPONSES:
        return typed("response.completed", "{\"type\":\"response.completed\",\"sequence_number\":" + (contentEvents + 2)
            + ",\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\",\"model\":\"" + model
            + "\",\"usage\":{\"input_tokens\":" + inputTokens + ",\"output_tokens\":" + contentEvents
            + ",\"total_tokens\":" + total + "}}}");
      default:
        return typed("message_stop", "{\"type\":\"message_stop\"}");
    }
  }

  private static String data(String json) {
    return "data: " + json + "\n\n";
  }

  private static String typed(String type, String json) {
    return "event: " + type + "\ndata: " + json + "\n\n";
  }
}
