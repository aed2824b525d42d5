package dev.extproc.stack;

import java.util.Map;

/**
 * The counters of Envoy's ext_proc HTTP filter ({@code http.<hcm prefix>.ext_proc.*}), read from the
 * admin endpoint. Counters Envoy has not created yet read 0.
 */
public record ExtProcFilterStats(
    long streamsStarted,
    long streamMsgsSent,
    long streamMsgsReceived,
    long spuriousMsgsReceived,
    long streamsClosed,
    long streamsFailed,
    long failureModeAllowed,
    long messageTimeouts,
    long rejectedHeaderMutations,
    long immediateResponsesSent,
    long serverHalfClosed,
    long overrideMessageTimeoutReceived,
    long overrideMessageTimeoutIgnored) {

  /** Picks the counters under {@code prefix} (e.g. {@code http.ingress.ext_proc.}) from all stats. */
  public static ExtProcFilterStats from(Map<String, Long> stats, String prefix) {
    return new ExtProcFilterStats(
        get(stats, prefix, "streams_started"),
        get(stats, prefix, "stream_msgs_sent"),
        get(stats, prefix, "stream_msgs_received"),
        get(stats, prefix, "spurious_msgs_received"),
        get(stats, prefix, "streams_closed"),
        get(stats, prefix, "streams_failed"),
        get(stats, prefix, "failure_mode_allowed"),
        get(stats, prefix, "message_timeouts"),
        get(stats, prefix, "rejected_header_mutations"),
        get(stats, prefix, "immediate_responses_sent"),
        get(stats, prefix, "server_half_closed"),
        get(stats, prefix, "override_message_timeout_received"),
        get(stats, prefix, "override_message_timeout_ignored"));
  }

  /** True if nothing went wrong: no spurious message, failed stream, timeout or rejected mutation. */
  public boolean clean() {
    return spuriousMsgsReceived == 0 && streamsFailed == 0 && messageTimeouts == 0
        && rejectedHeaderMutations == 0 && failureModeAllowed == 0;
  }

  private static long get(Map<String, Long> stats, String prefix, String name) {
    return stats.getOrDefault(prefix + name, 0L);
  }
}
