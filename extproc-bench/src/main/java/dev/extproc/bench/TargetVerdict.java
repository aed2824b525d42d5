package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Whether one target of the benchmark (issue 5) is met in one scenario run.
 *
 * @param target what is required, in words
 * @param met true or false; null when it could not be judged (a route skipped, a process not measured)
 * @param detail the figures behind the verdict, and by how much it is met or missed
 */
public record TargetVerdict(
    @JsonProperty("target") String target,
    @JsonProperty("met") Boolean met,
    @JsonProperty("detail") String detail) {

  /** Validates. */
  public TargetVerdict {
    requireNonNull(target, "target");
    requireNonNull(detail, "detail");
  }

  /** Returns "yes", "NO" or "n/a". */
  public String verdict() {
    return met == null ? "n/a" : met ? "yes" : "NO";
  }
}
