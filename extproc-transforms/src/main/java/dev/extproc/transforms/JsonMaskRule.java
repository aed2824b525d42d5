package dev.extproc.transforms;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * One {@code json-mask} field: a member name (matched at any depth) or a JSON pointer (RFC 6901,
 * matched exactly), and whether its value is masked (replaced by {@code "***"}) or the member
 * dropped.
 *
 * <p>The list syntax of {@code --json-mask-fields}: comma-separated items {@code FIELD[:ACTION]},
 * FIELD a name or a pointer starting with {@code /}, ACTION {@code mask} (the default) or {@code
 * drop}, e.g. {@code password,/user/ssn,token:drop}. Dropping works on object members; a pointer
 * into an array can only be masked.
 *
 * @param field the name, or the pointer when {@code pointer} is true
 * @param pointer whether {@code field} is a JSON pointer
 * @param drop whether the member is dropped instead of masked
 */
public record JsonMaskRule(String field, boolean pointer, boolean drop) {

  public JsonMaskRule {
    requireNonNull(field, "field");
    if (field.isEmpty()) {
      throw new IllegalArgumentException("field: empty (expected: a name or a JSON pointer)");
    }
  }

  /** Parses a {@code --json-mask-fields} list. */
  public static List<JsonMaskRule> parseList(String list) {
    List<JsonMaskRule> rules = new ArrayList<>();
    for (String raw : list.split(",")) {
      String item = raw.trim();
      if (item.isEmpty()) {
        continue;
      }
      boolean drop = false;
      String field = item;
      if (item.endsWith(":drop")) {
        drop = true;
        field = item.substring(0, item.length() - ":drop".length());
      } else if (item.endsWith(":mask")) {
        field = item.substring(0, item.length() - ":mask".length());
      }
      if (field.isEmpty()) {
        throw new IllegalArgumentException("--json-mask-fields: " + item + " (expected: NAME, /POINTER, with :mask or :drop)");
      }
      rules.add(new JsonMaskRule(field, field.startsWith("/"), drop));
    }
    if (rules.isEmpty()) {
      throw new IllegalArgumentException("--json-mask-fields: empty (expected: e.g. password,/user/ssn,token:drop)");
    }
    return rules;
  }

  @Override
  public String toString() {
    return field + (drop ? ":drop" : ":mask");
  }
}
