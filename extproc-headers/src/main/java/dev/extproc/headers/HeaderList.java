package dev.extproc.headers;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * An immutable, ordered list of HTTP headers (or trailers) as Envoy holds them: lower-case names,
 * raw byte values, repeated names allowed. The one header model of the project: the engine's
 * processor-facing {@code dev.extproc.HttpHeaders} and the testing kit's {@code
 * dev.extproc.testing.Headers} are views of it.
 *
 * <p>On the wire Envoy 1.32+ fills {@code raw_value} and leaves {@code value} empty; {@link
 * #fromProto} takes {@code value} only when {@code raw_value} is empty (older peers), and {@link
 * #toProto} writes {@code raw_value} only (Envoy source, {@code
 * source/extensions/filters/http/ext_proc/mutation_utils.cc}).
 */
public final class HeaderList {
  private static final HeaderList EMPTY = new HeaderList(List.of());

  private final List<Map.Entry<String, ByteString>> entries;

  private HeaderList(List<Map.Entry<String, ByteString>> entries) {
    this.entries = entries;
  }

  /** Returns headers from alternating names and UTF-8 values; names are lower-cased. */
  public static HeaderList of(String... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException(
          "namesAndValues: " + namesAndValues.length + " strings (expected: an even number)");
    }
    List<Map.Entry<String, ByteString>> list = new ArrayList<>(namesAndValues.length / 2);
    for (int i = 0; i < namesAndValues.length; i += 2) {
      list.add(Map.entry(
          namesAndValues[i].toLowerCase(Locale.ROOT), ByteString.copyFromUtf8(namesAndValues[i + 1])));
    }
    return new HeaderList(Collections.unmodifiableList(list));
  }

  /** Returns the empty list. */
  public static HeaderList empty() {
    return EMPTY;
  }

  /** Returns headers read from a wire map, taking {@code raw_value} (or {@code value} when raw is empty). */
  public static HeaderList fromProto(HeaderMap map) {
    requireNonNull(map, "map");
    if (map.getHeadersCount() == 0) {
      return EMPTY;
    }
    List<Map.Entry<String, ByteString>> list = new ArrayList<>(map.getHeadersCount());
    for (HeaderValue header : map.getHeadersList()) {
      list.add(Map.entry(header.getKey().toLowerCase(Locale.ROOT), value(header)));
    }
    return new HeaderList(Collections.unmodifiableList(list));
  }

  /**
   * Returns the first raw value of {@code name} in a wire map, read as {@link #fromProto} reads it,
   * or {@code null} when absent. Reads the map in place: nothing is copied for one lookup.
   */
  public static ByteString raw(HeaderMap map, String name) {
    String key = name.toLowerCase(Locale.ROOT);
    for (int i = 0, count = map.getHeadersCount(); i < count; i++) {
      HeaderValue header = map.getHeaders(i);
      if (header.getKey().toLowerCase(Locale.ROOT).equals(key)) {
        return value(header);
      }
    }
    return null;
  }

  /** {@code raw_value}, or {@code value} when raw is empty (peers before Envoy 1.32). */
  private static ByteString value(HeaderValue header) {
    return header.getRawValue().isEmpty() && !header.getValue().isEmpty()
        ? ByteString.copyFromUtf8(header.getValue())
        : header.getRawValue();
  }

  /** Returns the wire form, values in {@code raw_value} only. */
  public HeaderMap toProto() {
    HeaderMap.Builder builder = HeaderMap.newBuilder();
    for (Map.Entry<String, ByteString> entry : entries) {
      builder.addHeaders(HeaderValue.newBuilder().setKey(entry.getKey()).setRawValue(entry.getValue()));
    }
    return builder.build();
  }

  /** Returns the entries in order. */
  public List<Map.Entry<String, ByteString>> entries() {
    return entries;
  }

  /** Returns the first value of {@code name} as UTF-8, or {@code null} when absent. */
  public String get(String name) {
    ByteString raw = raw(name);
    return raw == null ? null : raw.toString(StandardCharsets.UTF_8);
  }

  /** Returns the first raw value of {@code name}, or {@code null} when absent. */
  public ByteString raw(String name) {
    String key = name.toLowerCase(Locale.ROOT);
    for (Map.Entry<String, ByteString> entry : entries) {
      if (entry.getKey().equals(key)) {
        return entry.getValue();
      }
    }
    return null;
  }

  /** Returns every value of {@code name} in order, as UTF-8. */
  public List<String> getAll(String name) {
    String key = name.toLowerCase(Locale.ROOT);
    List<String> values = new ArrayList<>();
    for (Map.Entry<String, ByteString> entry : entries) {
      if (entry.getKey().equals(key)) {
        values.add(entry.getValue().toString(StandardCharsets.UTF_8));
      }
    }
    return Collections.unmodifiableList(values);
  }

  /** Returns whether {@code name} is present. */
  public boolean contains(String name) {
    return raw(name) != null;
  }

  /** Returns the distinct names in order of first appearance. */
  public Set<String> names() {
    Set<String> names = new LinkedHashSet<>();
    for (Map.Entry<String, ByteString> entry : entries) {
      names.add(entry.getKey());
    }
    return Collections.unmodifiableSet(names);
  }

  /** Returns the number of entries, counting repeated names. */
  public int size() {
    return entries.size();
  }

  /** Returns whether there are no entries. */
  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** Returns the parsed {@code content-length}, or {@code -1} when absent or not a number. */
  public long contentLength() {
    return parseContentLength(get("content-length"));
  }

  /** Returns {@code value} parsed as a {@code content-length}, or {@code -1} when null or not a number. */
  public static long parseContentLength(String value) {
    if (value == null) {
      return -1;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Returns a copy where {@code name} has the single value {@code value}. */
  public HeaderList with(String name, String value) {
    return set(name.toLowerCase(Locale.ROOT), ByteString.copyFromUtf8(value), false);
  }

  /** Returns a copy without {@code name}. */
  public HeaderList without(String name) {
    String key = name.toLowerCase(Locale.ROOT);
    List<Map.Entry<String, ByteString>> list = new ArrayList<>();
    for (Map.Entry<String, ByteString> entry : entries) {
      if (!entry.getKey().equals(key)) {
        list.add(entry);
      }
    }
    return list.size() == entries.size() ? this : new HeaderList(Collections.unmodifiableList(list));
  }

  /**
   * Returns a copy with {@code value} for the lower-case {@code key}: appended after the existing
   * values when {@code append}, else replacing every value (at the place of the first one).
   */
  public HeaderList set(String key, ByteString value, boolean append) {
    requireNonNull(value, "value");
    List<Map.Entry<String, ByteString>> list = new ArrayList<>(entries.size() + 1);
    boolean placed = false;
    for (Map.Entry<String, ByteString> entry : entries) {
      if (entry.getKey().equals(key) && !append) {
        if (!placed) {
          list.add(Map.entry(key, value));
          placed = true;
        }
      } else {
        list.add(entry);
      }
    }
    if (!placed) {
      list.add(Map.entry(key, value));
    }
    return new HeaderList(Collections.unmodifiableList(list));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HeaderList other && entries.equals(other.entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  /** Returns names and values, non-UTF-8 values in hex: for tests only, values may carry credentials. */
  public String toStringWithValues() {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, ByteString> entry : entries) {
      if (sb.length() > 1) {
        sb.append(", ");
      }
      sb.append(entry.getKey()).append(": ");
      ByteString v = entry.getValue();
      sb.append(v.isValidUtf8() ? v.toStringUtf8() : "0x" + HexFormat.of().formatHex(v.toByteArray()));
    }
    return sb.append('}').toString();
  }

  /** Returns the names only: header values may carry credentials and are never logged by default. */
  @Override
  public String toString() {
    return "HeaderList" + names();
  }
}
