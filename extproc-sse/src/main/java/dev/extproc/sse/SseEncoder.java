package dev.extproc.sse;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;

/** Writes events in the event-stream format, LF-framed. Pure functions. */
public final class SseEncoder {
  private SseEncoder() {}

  /**
   * Returns the block for an event of {@code type} with {@code data}: an {@code event} line
   * unless the type is {@code message}, one {@code data} line per line of {@code data}, and the
   * blank line. CR and CRLF inside {@code data} become line breaks, as a reader would split them.
   */
  public static SseEvent event(String type, String data) {
    if (type.indexOf('\n') >= 0 || type.indexOf('\r') >= 0) {
      throw new IllegalArgumentException("type: contains a line break (expected: one line)");
    }
    StringBuilder text = new StringBuilder(data.length() + type.length() + 16);
    if (!type.equals(SseEvent.DEFAULT_TYPE)) {
      text.append("event: ").append(type).append('\n');
    }
    for (String line : data.split("\r\n|\r|\n", -1)) {
      text.append("data: ").append(line).append('\n');
    }
    text.append('\n');
    ByteString raw = ByteString.copyFrom(text.toString(), StandardCharsets.UTF_8);
    String normalized = String.join("\n", data.split("\r\n|\r|\n", -1));
    return new SseEvent(raw, type, normalized, true, null, "", -1);
  }

  /** Returns a comment block ({@code : text}), which dispatches nothing: a keep-alive. */
  public static ByteString comment(String text) {
    if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
      throw new IllegalArgumentException("text: contains a line break (expected: one line)");
    }
    return ByteString.copyFrom(": " + text + "\n\n", StandardCharsets.UTF_8);
  }
}
