package dev.extproc.app.fuzz;

import dev.extproc.ExchangeOutcome;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a fuzz run saw: per kind of input, the statuses the client got; the smallest case for each
 * unexpected result; what was left on the server afterwards; and the well-behaved exchanges run
 * beside. Thread-safe while the run records into it; read it after the run.
 */
public final class FuzzReport {
  /**
   * The statuses a client may get from the engine, whatever it sends: OK (exchange answered),
   * INVALID_ARGUMENT / FAILED_PRECONDITION (a protocol rule broken, named in the description),
   * RESOURCE_EXHAUSTED (a message over the inbound limit, in-process), and CANCELLED only when the
   * client itself cancelled or, over HTTP/2, sent a message over the inbound limit (grpc-java's
   * deframer resets such a stream before the engine sees it). Anything else (UNKNOWN, INTERNAL, no
   * status at all) is a finding.
   */
  static final Set<Status.Code> DOCUMENTED =
      EnumSet.of(Status.Code.OK, Status.Code.INVALID_ARGUMENT, Status.Code.FAILED_PRECONDITION, Status.Code.RESOURCE_EXHAUSTED);

  private final long seed;
  private final Map<FuzzCase.Kind, Map<String, AtomicLong>> statuses = new ConcurrentHashMap<>();
  private final Map<String, FuzzCase> findings = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> findingCounts = new ConcurrentHashMap<>();
  private final AtomicLong streams = new AtomicLong();
  private final AtomicLong overNetty = new AtomicLong();
  private final AtomicLong goodExchanges = new AtomicLong();
  private final List<String> goodFailures = new ArrayList<>();
  private volatile Leftovers leftovers;
  private volatile Duration elapsed = Duration.ZERO;

  /** What remained on the server after every stream had ended (and the wait for it). */
  record Leftovers(
      long activeStreams, long bytesHeld, long openFiles, long handlersMade, long onCloseCalls, long doubleCloses,
      long streamsStarted, long protocolErrors, Map<ExchangeOutcome, Long> outcomes) {
    boolean clean() {
      return activeStreams == 0 && bytesHeld == 0 && openFiles == 0 && handlersMade == onCloseCalls && doubleCloses == 0;
    }
  }

  FuzzReport(long seed) {
    this.seed = seed;
  }

  /** Records one fuzzed stream's result. */
  void record(FuzzCase fuzzCase, RawProcessCall.Result result, boolean netty) {
    streams.incrementAndGet();
    if (netty) {
      overNetty.incrementAndGet();
    }
    String status = result.hung() ? "NO_STATUS" : result.status().getCode().name();
    statuses.computeIfAbsent(fuzzCase.kind(), k -> new ConcurrentHashMap<>()).computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
    boolean cancelExpected =
        fuzzCase.ending() != FuzzCase.Ending.HALF_CLOSE || (netty && fuzzCase.kind() == FuzzCase.Kind.OVERSIZE);
    boolean expected =
        !result.hung()
            && (DOCUMENTED.contains(result.status().getCode())
                || (cancelExpected && result.status().getCode() == Status.Code.CANCELLED));
    if (!expected) {
      String key = fuzzCase.kind() + " -> " + status + (netty ? " (netty)" : " (in-process)")
          + (result.hung() ? "" : ": " + trim(result.status().getDescription()));
      findingCounts.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
      findings.merge(key, fuzzCase, (a, b) -> b.frames().size() < a.frames().size()
          || (b.frames().size() == a.frames().size() && b.bytes() < a.bytes()) ? b : a);
    }
  }

  private static String trim(String description) {
    if (description == null) {
      return "(no description)";
    }
    // Stream ids and numbers differ per stream; the rule does not.
    return description.replaceAll("[0-9]{3,}[-0-9]*", "N").lines().findFirst().orElse("");
  }

  void goodExchange(String failure) {
    goodExchanges.incrementAndGet();
    if (failure != null) {
      synchronized (goodFailures) {
        if (goodFailures.size() < 5) {
          goodFailures.add(failure);
        }
      }
    }
  }

  void finish(Leftovers leftovers, Duration elapsed) {
    this.leftovers = leftovers;
    this.elapsed = elapsed;
  }

  long streams() {
    return streams.get();
  }

  long goodExchanges() {
    return goodExchanges.get();
  }

  /** Returns the unexpected results, each with its count and smallest case. */
  Map<String, String> findings() {
    Map<String, String> out = new TreeMap<>();
    findings.forEach((key, c) -> out.put(key + " x" + findingCounts.get(key).get(), c.describe()));
    return out;
  }

  List<String> goodFailures() {
    synchronized (goodFailures) {
      return List.copyOf(goodFailures);
    }
  }

  Leftovers leftovers() {
    return leftovers;
  }

  /** Returns whether every stream got a documented status, nothing was left and every good exchange was byte-exact. */
  public boolean ok() {
    return findings.isEmpty() && goodFailures().isEmpty() && goodExchanges.get() > 0 && leftovers != null && leftovers.clean();
  }

  /** Returns per kind the count of each client-side status. */
  Map<FuzzCase.Kind, Map<String, Long>> statuses() {
    Map<FuzzCase.Kind, Map<String, Long>> out = new EnumMap<>(FuzzCase.Kind.class);
    statuses.forEach((kind, map) -> {
      Map<String, Long> copy = new TreeMap<>();
      map.forEach((s, n) -> copy.put(s, n.get()));
      out.put(kind, copy);
    });
    return out;
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    out.append("fuzz: seed ").append(seed).append(" (rerun with -Dextproc.fuzz.seed=").append(seed)
        .append(" or --seed ").append(seed).append("), ").append(streams.get()).append(" streams (")
        .append(overNetty.get()).append(" over Netty), ").append(goodExchanges.get())
        .append(" well-behaved exchanges beside, ").append(elapsed.toMillis()).append(" ms\n");
    statuses().forEach((kind, map) -> out.append("  ").append(kind).append(": ").append(map).append('\n'));
    Leftovers left = leftovers;
    if (left != null) {
      out.append("  after: active_streams=").append(left.activeStreams()).append(" bytes_held=").append(left.bytesHeld())
          .append(" open_files=").append(left.openFiles()).append(" handlers=").append(left.handlersMade())
          .append(" on_close=").append(left.onCloseCalls()).append(" double_close=").append(left.doubleCloses())
          .append(" streams_started=").append(left.streamsStarted()).append(" protocol_errors=").append(left.protocolErrors())
          .append("\n  outcomes (onClose): ").append(left.outcomes()).append('\n');
    }
    goodFailures().forEach(f -> out.append("  WELL-BEHAVED EXCHANGE FAILED: ").append(f).append('\n'));
    findings().forEach((key, sequence) -> out.append("  FINDING ").append(key).append("\n    smallest: ").append(sequence.replace("\n", "\n    ")).append('\n'));
    out.append(ok() ? "  result: OK\n" : "  result: FAILED\n");
    return out.toString();
  }
}
