package dev.extproc.app;

import dev.extproc.stack.ExtProcFilterStats;
import dev.extproc.stack.LocalStack;
import dev.extproc.stack.ProcessFailedException;
import dev.extproc.stack.ProjectRoot;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code extproc demo}: starts the local stack (echo backend, ext_proc server, Envoy) on loopback,
 * sends one request per route and one to the baseline listener, shows what happened, stops
 * everything. Exits 0 only if every check passed.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Starts the local stack (echo, ext_proc server, Envoy), sends one request per route, "
        + "shows what happened, stops everything. Exit code 0 only if every check passed.")
final class DemoCommand implements Callable<Integer> {

  @Mixin StackOptions stackOptions;

  @Option(names = "--body-size", defaultValue = "1048576", paramLabel = "BYTES",
      description = "Request body size of each check (default: ${DEFAULT-VALUE}).")
  int bodySize;

  @Option(names = "--bench", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "After the checks, run the seed benchmark scenario at default scale (10 x 70.4 MiB per route; "
          + "minutes) and print where its report is (default: on; --no-bench skips it).")
  boolean bench;

  @Option(names = "--request-timeout", defaultValue = "60s", paramLabel = "DURATION", converter = Sizes.Durations.class,
      description = "Timeout of each request, e.g. 60s (default: ${DEFAULT-VALUE}).")
  Duration requestTimeout;

  private final PrintStream out;
  private final java.util.List<Long> lastStackPids = new java.util.ArrayList<>();

  DemoCommand() {
    this(System.out);
  }

  /** A demo that prints its report to {@code out} (tests capture it). */
  DemoCommand(PrintStream out) {
    this.out = out;
  }

  /** The pids of the last stack's processes (Envoy, ext_proc server, echo), for tests. */
  java.util.List<Long> lastStackPids() {
    return java.util.List.copyOf(lastStackPids);
  }

  @Override
  public Integer call() {
    LocalStack.Builder builder;
    ProjectRoot root;
    try {
      root = ProjectRoot.find();
      builder = stackOptions.builder(root);
    } catch (IllegalStateException e) { // EnvoyNotFoundException, or no project root
      System.err.println("extproc demo: " + e.getMessage());
      return 2;
    }
    out.println("extproc demo: starting the echo backend, the ext_proc server and Envoy on 127.0.0.1 ...");
    int code = checks(builder);
    if (code == 0 && bench) {
      out.println();
      out.println("extproc demo: the seed's memory experiment at full scale (extproc bench --scenario seed; takes minutes) ...");
      try {
        code = BenchCommand.seedAtDefaultScale(root, out);
      } catch (Exception e) {
        System.err.println("extproc demo: the benchmark failed: " + e);
        code = 1;
      }
    }
    return code;
  }

  private int checks(LocalStack.Builder builder) {
    try (LocalStack stack = builder.build()) {
      lastStackPids.clear();
      lastStackPids.add(stack.envoyPid());
      stack.extProcPid().ifPresent(lastStackPids::add);
      stack.echoPid().ifPresent(lastStackPids::add);
      boolean ok = runChecks(stack);
      if (!ok) {
        stack.keepLogDir();
      }
      if (!stack.deletesLogDirOnClose()) {
        out.println("logs: " + stack.logDir());
      }
      out.println(ok ? "demo: every check passed" : "demo: FAILED (see above and the logs)");
      out.println("stopping the stack ...");
      return ok ? 0 : 1;
    } catch (ProcessFailedException e) {
      System.err.println("extproc demo: the stack did not start: " + e.getMessage());
      StackOptions.printPortHint(e, System.err);
      return 1;
    }
  }

  /**
   * What the demo does with a running stack: prints the endpoints, runs the route checks and shows
   * the ext_proc stats. Returns whether everything passed. Separate from the stack's lifecycle so
   * that other scenarios can be added here.
   */
  boolean runChecks(LocalStack stack) {
    out.println("Envoy " + stack.envoy().version() + " (pid " + stack.envoyPid() + "): ext_proc listener "
        + stack.extProcUri() + ", baseline " + stack.baselineUri() + ", admin " + stack.envoyAdminUri());
    out.println("echo backend " + stack.echoUri() + ", ext_proc server " + stack.extProcAddress().getHostString()
        + ":" + stack.extProcAddress().getPort());
    out.println();
    out.printf("one POST of %,d bytes per route (pass-through processor unless --server-arg says otherwise):%n",
        bodySize);
    Map<String, Long> afterWarmUp = new java.util.HashMap<>();
    List<RouteChecks.Result> results = RouteChecks.run(stack, bodySize, requestTimeout,
        () -> stack.extProcProcess().ifPresent(p -> afterWarmUp.putAll(awaitServerIdle(stack))));
    RouteChecks.print(results, out);
    boolean ok = results.stream().allMatch(RouteChecks.Result::ok);

    out.println();
    ExtProcFilterStats envoyStats = stack.envoyAdmin().extProcStats();
    out.println("Envoy ext_proc filter (http.ingress.ext_proc.*): streams_started=" + envoyStats.streamsStarted()
        + " stream_msgs_sent=" + envoyStats.streamMsgsSent()
        + " stream_msgs_received=" + envoyStats.streamMsgsReceived()
        + " streams_closed=" + envoyStats.streamsClosed()
        + " streams_failed=" + envoyStats.streamsFailed()
        + " spurious_msgs_received=" + envoyStats.spuriousMsgsReceived()
        + " message_timeouts=" + envoyStats.messageTimeouts()
        + " failure_mode_allowed=" + envoyStats.failureModeAllowed());
    if (!envoyStats.clean()) {
      out.println("  FAILED: Envoy counted failed streams, spurious messages, timeouts or rejected mutations");
      ok = false;
    }
    if (envoyStats.streamsStarted() != RouteChecks.ROUTES.size()) {
      out.println("  FAILED: streams_started=" + envoyStats.streamsStarted() + " (expected: "
          + RouteChecks.ROUTES.size() + ", one per route)");
      ok = false;
    }
    ok &= printServerStats(stack, afterWarmUp);
    return ok;
  }

  /** The server's counters of the checks alone are its counters now minus these after the warm-ups. */
  static final List<String> SERVER_COUNTERS = List.of("streams_started", "streams_completed", "streams_cancelled",
      "streams_failed", "protocol_errors", "messages_received", "messages_sent");

  /** Waits (bounded) until the ext_proc server has no stream open and returns its /stats. */
  private static Map<String, Long> awaitServerIdle(LocalStack stack) {
    // The server sees each stream end slightly after the client has its response: wait for it.
    return stack.extProcProcess().orElseThrow().awaitReady(
        "ext_proc server active_streams = 0",
        () -> {
          Map<String, Long> s = stack.extProcAdmin().stats();
          return s.getOrDefault("active_streams", -1L) == 0 ? java.util.Optional.of(s) : java.util.Optional.empty();
        },
        Duration.ofSeconds(10));
  }

  private boolean printServerStats(LocalStack stack, Map<String, Long> afterWarmUp) {
    try {
      Map<String, Long> stats = awaitServerIdle(stack);
      StringBuilder line = new StringBuilder("ext_proc server /stats, the checks alone:");
      for (String key : SERVER_COUNTERS) {
        long value = stats.getOrDefault(key, -1L);
        line.append(' ').append(key).append('=').append(value < 0 ? value : value - afterWarmUp.getOrDefault(key, 0L));
      }
      for (String key : List.of("active_streams", "bytes_held", "peak_bytes_held_per_stream", "heap_used_bytes")) {
        line.append(' ').append(key).append('=').append(stats.getOrDefault(key, -1L));
      }
      out.println(line);
      out.println("  (Envoy's counters were reset after " + RouteChecks.ROUTES.size() + " warm-up requests; the server's"
          + " cannot be, so its counters above are now minus after the warm-ups: its /stats shows streams_started="
          + stats.getOrDefault("streams_started", -1L) + ", warm-ups included)");
      if (stats.getOrDefault("streams_failed", 0L) != 0 || stats.getOrDefault("protocol_errors", 0L) != 0) {
        out.println("  FAILED: the ext_proc server counted failed streams or protocol errors");
        return false;
      }
      return true;
    } catch (RuntimeException e) {
      out.println("ext_proc server /stats: FAILED: " + e.getMessage());
      return false;
    }
  }
}
