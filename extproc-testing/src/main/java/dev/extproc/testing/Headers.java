package dev.extproc.testing;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import dev.extproc.headers.HeaderList;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable, ordered list of HTTP headers (or trailers) as Envoy holds them: lower-case names,
 * raw byte values, repeated names allowed. The testing kit's view of the project's one header model
 * ({@link HeaderList}, which the engine's {@code HttpHeaders} also wraps); on the wire FakeEnvoy puts
 * values in {@code raw_value} only, as Envoy 1.32+ does.
 */
public final class Headers {
  private static final Headers EMPTY = new Headers(HeaderList.empty());

  private final HeaderList list;

  private Headers(HeaderList list) {
    this.list = list;
  }

  /** Returns headers from alternating names and UTF-8 values; names are lower-cased. */
  public static Headers of(String... namesAndValues) {
    return new Headers(HeaderList.of(namesAndValues));
  }

  /** Returns an empty header list. */
  public static Headers empty() {
    return EMPTY;
  }

  /** Returns headers read from a wire map, taking {@code raw_value} (or {@code value} when raw is empty). */
  public static Headers fromProto(HeaderMap map) {
    return new Headers(HeaderList.fromProto(map));
  }

  /** Returns a view of {@code list}. */
  public static Headers of(HeaderList list) {
    return new Headers(requireNonNull(list, "list"));
  }

  /** Returns the shared model this view wraps. */
  public HeaderList list() {
    return list;
  }

  /** Returns the wire form, values in {@code raw_value} only. */
  public HeaderMap toProto() {
    return list.toProto();
  }

  /** Returns the entries in order. */
  public List<Map.Entry<String, ByteString>> entries() {
    return list.entries();
  }

  /** Returns the first value of {@code name} as UTF-8, or {@code null} when absent. */
  public String get(String name) {
    return list.get(name);
  }

  /** Returns the first raw value of {@code name}, or {@code null} when absent. */
  public ByteString raw(String name) {
    return list.raw(name);
  }

  /** Returns every value of {@code name} in order, as UTF-8. */
  public List<String> getAll(String name) {
    return list.getAll(name);
  }

  /** Returns whether {@code name} is present. */
  public boolean contains(String name) {
    return list.contains(name);
  }

  /** Returns the distinct names in order of first appearance. */
  public Set<String> names() {
    return list.names();
  }

  /** Returns the number of entries, counting repeated names. */
  public int size() {
    return list.size();
  }

  /** Returns whether there are no entries. */
  public boolean isEmpty() {
    return list.isEmpty();
  }

  /** Returns a copy where {@code name} has the single value {@code value}. */
  public Headers with(String name, String value) {
    return new Headers(list.with(name, value));
  }

  /** Returns a copy without {@code name}. */
  public Headers without(String name) {
    HeaderList without = list.without(name);
    return without == list ? this : new Headers(without);
  }

  /** Returns a copy with {@code value} set (replacing every value) or appended. */
  Headers set(String key, ByteString value, boolean append) {
    return new Headers(list.set(key, value, append));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Headers other && list.equals(other.list);
  }

  @Override
  public int hashCode() {
    return list.hashCode();
  }

  /** Names and values: a test kit shows what it compared. */
  @Override
  public String toString() {
    return list.toStringWithValues();
  }
}
