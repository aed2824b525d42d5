package dev.extproc;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import dev.extproc.headers.HeaderList;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An immutable view of the headers (or trailers) Envoy sent for one direction: the processor-facing
 * view of the project's one header model ({@link HeaderList}, which the testing kit's {@code
 * Headers} also wraps). Names are lower-case, as Envoy sends them; values are read from {@code
 * raw_value} (Envoy 1.32+ leaves {@code value} empty) and fall back to {@code value} for older
 * peers. Non-UTF-8 bytes are kept in {@link #raw(String)}.
 *
 * <p>A view of a wire map reads it in place: single lookups ({@link #get}, {@link #raw}, {@link
 * #contains}, {@link #contentLength}, {@link #size}) copy nothing, and the entry list is made on the
 * first call that needs every entry ({@link #getAll}, {@link #names}). Safe to share between threads.
 */
public final class HttpHeaders {
  private static final HttpHeaders EMPTY = new HttpHeaders(HeaderMap.getDefaultInstance(), HeaderList.empty());

  /** The wire map as received, returned as is by {@link #toProto()}. */
  private final HeaderMap map;
  /**
   * The entries, made from {@link #map} on first need. Racy single-check initialisation, like
   * {@code String.hashCode}: {@link HeaderList} is immutable (final fields), so a thread that sees
   * it sees it whole, and at worst two threads each make an equal one.
   */
  private @Nullable HeaderList list;

  private HttpHeaders(HeaderMap map, @Nullable HeaderList list) {
    this.map = map;
    this.list = list;
  }

  /** Returns a view of the given wire header map (read in place; nothing is copied until needed). */
  public static HttpHeaders of(HeaderMap map) {
    return new HttpHeaders(requireNonNull(map, "map"), null);
  }

  private HeaderList list() {
    HeaderList made = list;
    if (made == null) {
      made = HeaderList.fromProto(map);
      list = made;
    }
    return made;
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
    ByteString raw = raw(name);
    return raw == null ? null : raw.toString(StandardCharsets.UTF_8);
  }

  /** Returns the first raw value of {@code name}, or {@code null} when absent. */
  public ByteString raw(String name) {
    HeaderList made = list;
    return made != null ? made.raw(name) : HeaderList.raw(map, name);
  }

  /** Returns every value of {@code name}, in order, decoded as UTF-8. */
  public List<String> getAll(String name) {
    return list().getAll(name);
  }

  /** Returns whether {@code name} is present. */
  public boolean contains(String name) {
    return raw(name) != null;
  }

  /** Returns the distinct header names, in order of first appearance. */
  public Set<String> names() {
    return list().names();
  }

  /** Returns the number of header entries, counting repeated names. */
  public int size() {
    return map.getHeadersCount();
  }

  /** Returns whether there are no headers. */
  public boolean isEmpty() {
    return size() == 0;
  }

  /** Returns the parsed {@code content-length}, or {@code -1} when absent or not a number. */
  public long contentLength() {
    return HeaderList.parseContentLength(get("content-length"));
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
