package dev.extproc.testing;

/**
 * A reply from the ext_proc server that Envoy would treat as spurious or illegal. The message names
 * the rule and the index of the offending reply on the stream (1-based, counting every reply
 * received). Extends {@link AssertionError} so that it fails a test wherever it surfaces.
 */
public final class ProtocolViolation extends AssertionError {
  private static final long serialVersionUID = 1L;

  private final String rule;
  private final int replyIndex;

  ProtocolViolation(String rule, int replyIndex, String detail) {
    super("ext_proc protocol violation [" + rule + "] at reply #" + replyIndex + ": " + detail);
    this.rule = rule;
    this.replyIndex = replyIndex;
  }

  /** Returns the short name of the broken rule, for example {@code reply-type}. */
  public String rule() {
    return rule;
  }

  /** Returns the 1-based index of the offending reply on the stream. */
  public int replyIndex() {
    return replyIndex;
  }
}
