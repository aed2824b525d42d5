package dev.extproc.sse;

import java.util.Locale;

/** The streaming answer formats the toolkit understands. */
public enum LlmFormat {
  /** OpenAI Chat Completions: {@code data:} chunks of {@code chat.completion.chunk}, usage last, then {@code [DONE]}. */
  OPENAI_CHAT("openai-chat"),
  /** OpenAI Responses: typed events ({@code response.output_text.delta}, ...), usage on {@code response.completed}. */
  OPENAI_RESPONSES("openai-responses"),
  /** Anthropic Messages: {@code message_start}, content blocks, cumulative usage on {@code message_delta}. */
  ANTHROPIC("anthropic");

  private final String flag;

  LlmFormat(String flag) {
    this.flag = flag;
  }

  /** Returns the name used on the command line ({@code openai-chat}, {@code openai-responses}, {@code anthropic}). */
  public String flag() {
    return flag;
  }

  /** Returns the format named {@code flag}. @throws IllegalArgumentException naming the accepted values */
  public static LlmFormat fromFlag(String flag) {
    for (LlmFormat format : values()) {
      if (format.flag.equals(flag.toLowerCase(Locale.ROOT))) {
        return format;
      }
    }
    throw new IllegalArgumentException("format: " + flag + " (expected: openai-chat, openai-responses or anthropic)");
  }
}
