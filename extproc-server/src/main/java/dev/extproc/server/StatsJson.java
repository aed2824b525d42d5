package dev.extproc.server;

import dev.extproc.ExchangeOutcome;
import dev.extproc.ExtProcStats;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * The admin {@code /stats} body: a flat JSON object of numbers in a stable order — the engine's
 * counters, {@code streams_ended_<outcome>} per outcome, the JVM heap in use, then the extra
 * gauges. Immutable and thread-safe.
 */
final class StatsJson {
  private static final Map<String, ToLongFunction<ExtProcStats>> ENGINE = engineKeys();

  private final Map<String, LongSupplier> extra;

  StatsJson(Map<String, LongSupplier> extra) {
    this.extra = Map.copyOf(extra);
  }

  String render(ExtProcStats stats) {
    StringBuilder json = new StringBuilder("{");
    ENGINE.forEach((name, value) -> append(json, name, value.applyAsLong(stats)));
    append(json, "heap_used_bytes", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    append(json, "heap_live_after_gc_bytes", heapLiveAfterGc());
    append(json, "gc_collections", gcCollections(false));
    append(json, "gc_full_collections", gcCollections(true));
    extra.keySet().stream().sorted().forEach(name -> append(json, name, extra.get(name).getAsLong()));
    return json.append("}\n").toString();
  }

  /**
   * Returns the heap in use right after the last collection of each heap pool, summed: the live set
   * without the garbage that {@code heap_used_bytes} also counts (0 before the first collection).
   */
  static long heapLiveAfterGc() {
    long live = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      MemoryUsage afterGc = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null;
      if (afterGc != null) {
        live += afterGc.getUsed();
      }
    }
    return live;
  }

  /**
   * Returns the garbage collections since the JVM started, summed over its collectors; with
   * {@code full}, only the stop-the-world collections of the whole heap (G1's "Old Generation",
   * Parallel's "PS MarkSweep", Serial's "MarkSweepCompact"; ZGC and Shenandoah have none). ZGC's
   * "... Pauses" beans count the pauses of cycles already counted by its "... Cycles" beans, so
   * they are left out.
   */
  static long gcCollections(boolean full) {
    long count = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      String name = gc.getName();
      boolean isFull = name.equals("G1 Old Generation") || name.equals("PS MarkSweep") || name.equals("MarkSweepCompact");
      if (name.endsWith(" Pauses") || (full && !isFull)) {
        continue;
      }
      count += Math.max(0, gc.getCollectionCount());
    }
    return count;
  }

  private static void append(StringBuilder json, String name, long value) {
    if (json.length() > 1) {
      json.append(',');
    }
    json.append('"').append(name).append("\":").append(value);
  }

  private static Map<String, ToLongFunction<ExtProcStats>> engineKeys() {
    Map<String, ToLongFunction<ExtProcStats>> keys = new LinkedHashMap<>();
    keys.put("active_streams", ExtProcStats::activeStreams);
    keys.put("streams_started", ExtProcStats::streamsStarted);
    keys.put("streams_completed", ExtProcStats::streamsCompleted);
    keys.put("streams_cancelled", ExtProcStats::streamsCancelled);
    keys.put("streams_failed", ExtProcStats::streamsFailed);
    keys.put("protocol_errors", ExtProcStats::protocolErrors);
    keys.put("immediate_responses", ExtProcStats::immediateResponses);
    keys.put("messages_received", ExtProcStats::messagesReceived);
    keys.put("messages_sent", ExtProcStats::messagesSent);
    keys.put("bytes_held", ExtProcStats::bytesHeld);
    keys.put("peak_bytes_held_per_stream", ExtProcStats::peakBytesHeldPerStream);
    keys.put("cancelled_after_last_reply", ExtProcStats::cancelledAfterLastReply);
    for (ExchangeOutcome outcome : ExchangeOutcome.values()) {
      keys.put("streams_ended_" + MetricsObserver.outcomeLabel(outcome), s -> s.streamsEnded(outcome));
    }
    return java.util.Collections.unmodifiableMap(keys);
  }
}
