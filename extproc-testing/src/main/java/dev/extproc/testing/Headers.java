package dev.extproc.testing;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * An immutable, ordered list of HTTP headers (or trailers) as Envoy holds them: lower-case names,
 * raw byte values, repeated names allowed. On the wire FakeEnvoy puts values in {@code raw_value}
 * only, as Envoy 1.32+ does.
 */
public final class Headers {
  private static final Headers EMPTY = new Headers(List.of());

  private final List<Map.Entry<String, ByteString>> entries;

  private Headers(List<Map.Entry<String, ByteString>> entries) {
    this.entries = entries;
  }

  /** Returns headers from alternating names and UTF-8 values; names are lower-cased. */
  public static Headers of(String... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException(
          "namesAndValues: " + namesAndValues.length + " strings (expected: an even number)");
    }
    List<Map.Entry<String, ByteString>> list = new ArrayList<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      list.add(Map.entry(
          namesAndValues[i].toLowerCase(Locale.ROOT), ByteString.copyFromUtf8(namesAndValues[i + 1])));
    }
    return new Headers(Collections.unmodifiableList(list));
  }

  /** Returns an empty header list. */
  public static Headers empty() {
    return EMPTY;
  }

  /** Returns headers read from a wire map, taking {@code raw_value} (or {@code value} when raw is empty). */
  public static Headers fromProto(HeaderMap map) {
    List<Map.Entry<String, ByteString>> list = new ArrayList<>();
    for (HeaderValue header : map.getHeadersList()) {
      ByteString value = header.getRawValue().isEmpty() && !header.getValue().isEmpty()
          ? ByteString.copyFromUtf8(header.getValue())
          : header.getRawValue();
      list.add(Map.entry(header.getKey().toLowerCase(Locale.ROOT), value));
    }
    return new Headers(Collections.unmodifiableList(list));
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

  /** Returns a copy where {@code name} has the single value {@code value}. */
  public Headers with(String name, String value) {
    return set(name.toLowerCase(Locale.ROOT), ByteString.copyFromUtf8(value), false);
  }

  /** Returns a copy without {@code name}. */
  public Headers without(String name) {
    String key = name.toLowerCase(Locale.ROOT);
    List<Map.Entry<String, ByteString>> list = new ArrayList<>();
    for (Map.Entry<String, ByteString> entry : entries) {
      if (!entry.getKey().equals(key)) {
        list.add(entry);
      }
    }
    return list.size() == entries.size() ? this : new Headers(Collections.unmodifiableList(list));
  }

  /** Returns a copy with {@code value} set (replacing every value) or appended. */
  Headers set(String key, ByteString value, boolean append) {
    requireNonNull(value, "value");
    List<Map.Entry<String, ByteString>> list = new ArrayList<>();
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
    return new Headers(Collections.unmodifiableList(list));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Headers other && entries.equals(other.entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, ByteString> entry : entries) {
      if (sb.length() > 1) {
        sb.append(", ");
      }
      sb.append(entry.getKey()).append(": ");
      ByteString v = entry.getValue();
      sb.append(v.isValidUtf8() ? v.toStringUtf8() : "0x" + hex(v));
    }
    return sb.append('}').toString();
  }

  private static String hex(ByteString value) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < value.size(); i++) {
      sb.append(String.format("%02x", value.byteAt(i)));
    }
    return sb.toString();
  }
}
