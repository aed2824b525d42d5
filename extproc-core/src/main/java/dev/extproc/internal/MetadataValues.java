package dev.extproc.internal;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.List;
import java.util.Map;

/** Converts plain Java values to {@code google.protobuf.Value} for dynamic metadata. Pure functions. */
final class MetadataValues {
  private MetadataValues() {}

  /** Returns {@code {namespace: {key: value}}}. */
  static Struct single(String namespace, String key, Object value) {
    Struct inner = Struct.newBuilder().putFields(key, toValue(value)).build();
    return Struct.newBuilder().putFields(namespace, Value.newBuilder().setStructValue(inner).build()).build();
  }

  /** Merges {@code addition} into {@code base} one namespace deep: keys of a namespace present in both are merged. */
  static Struct merge(Struct base, Struct addition) {
    if (base == null) {
      return addition;
    }
    Struct.Builder merged = base.toBuilder();
    for (Map.Entry<String, Value> entry : addition.getFieldsMap().entrySet()) {
      Value existing = base.getFieldsMap().get(entry.getKey());
      if (existing != null && existing.hasStructValue() && entry.getValue().hasStructValue()) {
        Struct inner = existing.getStructValue().toBuilder().putAllFields(entry.getValue().getStructValue().getFieldsMap()).build();
        merged.putFields(entry.getKey(), Value.newBuilder().setStructValue(inner).build());
      } else {
        merged.putFields(entry.getKey(), entry.getValue());
      }
    }
    return merged.build();
  }

  static Value toValue(Object value) {
    if (value == null) {
      return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    }
    if (value instanceof String) {
      return Value.newBuilder().setStringValue((String) value).build();
    }
    if (value instanceof Boolean) {
      return Value.newBuilder().setBoolValue((Boolean) value).build();
    }
    if (value instanceof Number) {
      return Value.newBuilder().setNumberValue(((Number) value).doubleValue()).build();
    }
    if (value instanceof Map) {
      Struct.Builder struct = Struct.newBuilder();
      for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
        if (!(entry.getKey() instanceof String)) {
          throw new IllegalArgumentException("metadata map key: " + entry.getKey() + " (expected: a String)");
        }
        struct.putFields((String) entry.getKey(), toValue(entry.getValue()));
      }
      return Value.newBuilder().setStructValue(struct).build();
    }
    if (value instanceof List) {
      ListValue.Builder list = ListValue.newBuilder();
      for (Object element : (List<?>) value) {
        list.addValues(toValue(element));
      }
      return Value.newBuilder().setListValue(list).build();
    }
    throw new IllegalArgumentException("metadata value of type " + value.getClass().getName()
        + " (expected: String, Number, Boolean, null, Map or List)");
  }
}
