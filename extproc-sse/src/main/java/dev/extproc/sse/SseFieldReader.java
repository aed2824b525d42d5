package dev.extproc.sse;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;

/**
 * Reads the fields of one complete block under the WHATWG rules, keeping what persists across
 * blocks of one stream (the last event id, whether the byte-order mark was checked).
 */
final class SseFieldReader {
  private String lastEventId = "";
  private boolean streamStart = true;

  SseEvent read(ByteString raw) {
    String text = raw.toString(StandardCharsets.UTF_8);
    int pos = 0;
    if (streamStart) {
      streamStart = false;
      if (text.startsWith("\uFEFF")) {
        pos = 1; // one byte-order mark, only at the very start of the stream
      }
    }
    String type = null;
    StringBuilder data = null;
    String id = null;
    long retry = -1;
    int length = text.length();
    while (pos < length) {
      int end = pos;
      while (end < length && text.charAt(end) != '\r' && text.charAt(end) != '\n') {
        end++;
      }
      if (end > pos && text.charAt(pos) != ':') {
        int colon = text.indexOf(':', pos);
        String name;
        String value;
        if (colon < 0 || colon > end) {
          name = text.substring(pos, end);
          value = "";
        } else {
          name = text.substring(pos, colon);
          int valueStart = colon + 1;
          if (valueStart < end && text.charAt(valueStart) == ' ') {
            valueStart++;
          }
          value = text.substring(valueStart, end);
        }
        switch (name) {
          case "event":
            type = value;
            break;
          case "data":
            if (data == null) {
              data = new StringBuilder(value.length() + 1);
            }
            data.append(value).append('\n');
            break;
          case "id":
            if (value.indexOf('\0') < 0) {
              id = value;
              lastEventId = value;
            }
            break;
          case "retry":
            retry = digits(value, retry);
            break;
          default:
            break; // unknown fields are ignored
        }
      }
      pos = end;
      if (pos < length && text.charAt(pos) == '\r') {
        pos++;
      }
      if (pos < length && text.charAt(pos) == '\n') {
        pos++;
      }
    }
    boolean dispatched = data != null && data.length() > 0;
    String joined = data == null ? "" : data.substring(0, data.length() - 1);
    return new SseEvent(raw, type == null || type.isEmpty() ? SseEvent.DEFAULT_TYPE : type, joined,
        dispatched, id, lastEventId, retry);
  }

  private static long digits(String value, long otherwise) {
    if (value.isEmpty() || value.length() > 18) {
      return otherwise;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return otherwise;
      }
    }
    return Long.parseLong(value);
  }

}
