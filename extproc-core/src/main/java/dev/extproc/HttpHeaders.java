package dev.extproc;

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
import java.util.Set;

/**
 * An immutable view of the headers (or trailers) Envoy sent for one direction. Names are
 * lower-case, as Envoy sends them; values are read from {@code raw_value} (Envoy 1.32+ leaves
 * {@code value} empty) and fall back to {@code value} for older peers. Non-UTF-8 bytes are kept
 * in {@link #raw(String)}.
 */
public final class HttpHeaders {
  private static final HttpHeaders EMPTY = new HttpHeaders(HeaderMap.getDefaultInstance());

  private final HeaderMap map;

  private HttpHeaders(HeaderMap map) {
    this.map = map;
  }

  /** Returns a view of the given wire header map. */
  public static HttpHeaders of(HeaderMap map) {
    return new HttpHeaders(requireNonNull(map, "map"));
  }

  /** Returns headers from alternating names and values, for tests and immediate responses. */
  public static HttpHeaders of(String... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException(
          "namesAndValues: " + namesAndValues.length + " strings (expected: an even number)");
    }
    HeaderMap.Builder builder = HeaderMap.newBuilder();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      builder.addHeaders(
          HeaderValue.newBuilder()
              .setKey(namesAndValues[i].toLowerCase(Locale.ROOT))
              .setRawValue(ByteString.copyFromUtf8(namesAndValues[i + 1])));
    }
    return new HttpHeaders(builder.build());
  }

  /** Returns an empty header set. */
  public static HttpHeaders empty() {
    return EMPTY;
  }

  /** Returns the first value of {@code name} decoded as UTF-8, or {@code null} when absent. */
  public String get(String name) {
    ByteString raw = raw(name);
    return raw == null ? null : raw.toString(StandardCharsets.UTF_8);
  }

  /** Returns the first raw value of {@code name}, or {@code null} when absent. */
  public ByteString raw(String name) {
    String key = name.toLowerCase(Locale.ROOT);
    for (HeaderValue header : map.getHeadersList()) {
      if (header.getKey().equals(key)) {
        return valueOf(header);
      }
    }
    return null;
  }

  /** Returns every value of {@code name}, in order, decoded as UTF-8. */
  public List<String> getAll(String name) {
    String key = name.toLowerCase(Locale.ROOT);
    List<String> values = new ArrayList<>();
    for (HeaderValue header : map.getHeadersList()) {
      if (header.getKey().equals(key)) {
        values.add(valueOf(header).toString(StandardCharsets.UTF_8));
      }
    }
    return Collections.unmodifiableList(values);
  }

  /** Returns whether {@code name} is present. */
  public boolean contains(String name) {
    return raw(name) != null;
  }

  /** Returns the distinct header names, in order of first appearance. */
  public Set<String> names() {
    Set<String> names = new LinkedHashSet<>();
    for (HeaderValue header : map.getHeadersList()) {
      names.add(header.getKey());
    }
    return Collections.unmodifiableSet(names);
  }

  /** Returns the number of header entries, counting repeated names. */
  public int size() {
    return map.getHeadersCount();
  }

  /** Returns whether there are no headers. */
  public boolean isEmpty() {
    return map.getHeadersCount() == 0;
  }

  /** Returns the parsed {@code content-length}, or {@code -1} when absent or not a number. */
  public long contentLength() {
    String value = get("content-length");
    if (value == null) {
      return -1;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Returns the wire form. */
  public HeaderMap toProto() {
    return map;
  }

  private static ByteString valueOf(HeaderValue header) {
    return header.getRawValue().isEmpty() && !header.getValue().isEmpty()
        ? ByteString.copyFromUtf8(header.getValue())
        : header.getRawValue();
  }

  @Override
  public String toString() {
    // Names only: header values may carry credentials and are never logged by default.
    return "HttpHeaders" + names();
  }
}
