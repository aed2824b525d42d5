package dev.extproc;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import dev.extproc.headers.HeaderList;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import java.util.List;
import java.util.Set;

/**
 * An immutable view of the headers (or trailers) Envoy sent for one direction: the processor-facing
 * view of the project's one header model ({@link HeaderList}, which the testing kit's {@code
 * Headers} also wraps). Names are lower-case, as Envoy sends them; values are read from {@code
 * raw_value} (Envoy 1.32+ leaves {@code value} empty) and fall back to {@code value} for older
 * peers. Non-UTF-8 bytes are kept in {@link #raw(String)}.
 */
public final class HttpHeaders {
  private static final HttpHeaders EMPTY = new HttpHeaders(HeaderMap.getDefaultInstance(), HeaderList.empty());

  /** The wire map as received, returned as is by {@link #toProto()}. */
  private final HeaderMap map;
  private final HeaderList list;

  private HttpHeaders(HeaderMap map, HeaderList list) {
    this.map = map;
    this.list = list;
  }

  /** Returns a view of the given wire header map. */
  public static HttpHeaders of(HeaderMap map) {
    return new HttpHeaders(requireNonNull(map, "map"), HeaderList.fromProto(map));
  }

  /** Returns headers from alternating names and values, for tests and immediate responses. */
  public static HttpHeaders of(String... namesAndValues) {
    HeaderList list = HeaderList.of(namesAndValues);
    return new HttpHeaders(list.toProto(), list);
  }

  /** Returns an empty header set. */
  public static HttpHeaders empty() {
    return EMPTY;
  }

  /** Returns the first value of {@code name} decoded as UTF-8, or {@code null} when absent. */
  public String get(String name) {
    return list.get(name);
  }

  /** Returns the first raw value of {@code name}, or {@code null} when absent. */
  public ByteString raw(String name) {
    return list.raw(name);
  }

  /** Returns every value of {@code name}, in order, decoded as UTF-8. */
  public List<String> getAll(String name) {
    return list.getAll(name);
  }

  /** Returns whether {@code name} is present. */
  public boolean contains(String name) {
    return list.contains(name);
  }

  /** Returns the distinct header names, in order of first appearance. */
  public Set<String> names() {
    return list.names();
  }

  /** Returns the number of header entries, counting repeated names. */
  public int size() {
    return list.size();
  }

  /** Returns whether there are no headers. */
  public boolean isEmpty() {
    return list.isEmpty();
  }

  /** Returns the parsed {@code content-length}, or {@code -1} when absent or not a number. */
  public long contentLength() {
    return list.contentLength();
  }

  /** Returns the wire form. */
  public HeaderMap toProto() {
    return map;
  }

  @Override
  public String toString() {
    // Names only: header values may carry credentials and are never logged by default.
    return "HttpHeaders" + names();
  }
}
