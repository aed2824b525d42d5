package dev.extproc.app;

import dev.extproc.bench.Bench;
import dev.extproc.bench.BenchOptions;
import dev.extproc.bench.BenchReport;
import dev.extproc.bench.Format;
import dev.extproc.bench.LocalStackEnvironment;
import dev.extproc.bench.ProgressDisplay;
import dev.extproc.bench.Route;
import dev.extproc.bench.ScenarioReport;
import dev.extproc.bench.ServerState;
import dev.extproc.bench.TargetVerdict;
import dev.extproc.stack.EnvoyInstallation;
import dev.extproc.stack.EnvoyNotFoundException;
import dev.extproc.stack.EnvoyTuning;
import dev.extproc.stack.ProjectRoot;
import dev.extproc.stack.ServerJvm;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code extproc bench}: runs a scenario of the seed's memory experiment against a real Envoy (a fresh local
 * stack per route) and writes a report directory. Exit code 0 when every response was verified.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Runs the memory and throughput benchmark against a real Envoy (a fresh stack per route) "
        + "and writes report.json, report.md, report.html (for a browser), timeseries.csv and charts into a run directory.")
final class BenchCommand implements Callable<Integer> {

  @Option(names = "--scenario", required = true, paramLabel = "NAME",
      description = "seed, passthrough, slow-processor, small, sse (LLM event streams through /llm and the baseline), redact or json-mask.")
  String scenario;

  @Option(names = "--routes", defaultValue = "/streamed,/full-duplex-streamed,/buffered,baseline", paramLabel = "LIST",
      description = "Comma-separated routes (default: ${DEFAULT-VALUE}); also /buffered-partial, /headers-only.")
  String routes;

  @Option(names = "--body-size", paramLabel = "SIZE",
      description = "Upload body size, e.g. 256KiB (default: the whole media/input.mp4, 70.4 MiB; 1 KiB for small; 8 MiB for redact and json-mask).")
  String bodySize;

  @Option(names = "--concurrency", paramLabel = "N[,N...]",
      description = "Concurrent uploads (connections for small); a list runs each (default: 10; 1,10,50 for passthrough; 2 for redact and json-mask).")
  String concurrency;

  @Option(names = "--report-dir", paramLabel = "DIR", description = "Run directory (default: runs/<UTC timestamp>).")
  Path reportDir;

  @Option(names = "--ext-proc-address", paramLabel = "HOST:PORT",
      description = "Use this ext_proc server instead of starting ours (its memory is then n/a).")
  String extProcAddress;

  @Option(names = "--profile",
      description = "Take Envoy heap profiles (/allocprofiler, /peak_heap_dump, /heap_dump, /memory/tcmalloc) and "
          + "a profiling JFR recording of the ext_proc server; the report names the top allocation sites.")
  boolean profile;

  @Option(names = "--media-dir", paramLabel = "DIR",
      description = "Where input.mp4 and the replacements are (default: media/ in the project; generated when missing).")
  Path mediaDir;

  @Option(names = "--duration", defaultValue = "10s", paramLabel = "DURATION",
      description = "Duration of each route's small-request loop (default: ${DEFAULT-VALUE}).")
  String duration;

  @Option(names = "--timeout", defaultValue = "10m", paramLabel = "DURATION",
      description = "Time one batch of uploads may take (default: ${DEFAULT-VALUE}).")
  String timeout;

  @Option(names = "--listener-buffer-limit", paramLabel = "SIZE",
      description = "Envoy listeners' per_connection_buffer_limit_bytes (default: the stack's, 1 MiB).")
  String listenerBufferLimit;

  @Option(names = "--ext-proc-buffer-limit", paramLabel = "SIZE",
      description = "The ext_proc cluster's per_connection_buffer_limit_bytes (default: the stack's, 256 KiB).")
  String extProcBufferLimit;

  @Option(names = "--ext-proc-window", paramLabel = "SIZE",
      description = "The ext_proc cluster's HTTP/2 initial stream window (default: the stack's, 256 KiB).")
  String extProcWindow;

  @Option(names = "--ext-proc-connection-window", paramLabel = "SIZE",
      description = "The ext_proc cluster's HTTP/2 initial connection window (default: the stack's, 4 MiB).")
  String extProcConnectionWindow;

  @Option(names = "--ext-proc-max-streams", paramLabel = "N",
      description = "The ext_proc cluster's HTTP/2 max_concurrent_streams, side streams per connection (default: the stack's, 16).")
  Integer extProcMaxStreams;

  @Option(names = "--message-timeout", paramLabel = "DURATION",
      description = "Envoy's ext_proc message_timeout (default: the stack's, 30s); a short one makes side-stream stalls visible.")
  String messageTimeout;

  @Option(names = "--replicas", defaultValue = "1", paramLabel = "N",
      description = "ext_proc server processes behind Envoy's one ext_proc cluster (default: ${DEFAULT-VALUE}); each route's "
          + "directory gets replicas.csv with the side streams each replica took.")
  int replicas;

  @Option(names = "--server-arg", paramLabel = "ARG",
      description = "Extra ext_proc server option (repeatable), e.g. --server-arg=--max-pending-output-bytes=256KiB.")
  List<String> serverArgs = new ArrayList<>();

  @Option(names = "--server-jvm-option", paramLabel = "OPTION",
      description = "JVM option of the ext_proc server (repeatable; replaces the default options of the server's Java, "
          + "extproc-stack's server-jvm.options), e.g. --server-jvm-option=-Xmx1g.")
  List<String> serverJvmOptions = new ArrayList<>();

  @Option(names = "--server-java", paramLabel = "PATH",
      description = "The ext_proc server's Java: a java executable or a JDK directory (default: $" + ServerJvm.JAVA_ENV
          + ", else a JDK 25 in /usr/lib/jvm, else the Java running the bench).")
  Path serverJava;

  @Option(names = "--warm",
      description = "Measure a warmed server (steady state): a whole batch of the same load before the meters start, "
          + "instead of a fresh server after one short warm-up.")
  boolean warm;

  private final PrintStream out = System.out;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    ProjectRoot root = ProjectRoot.findFrom(Path.of("").toAbsolutePath()).orElse(null);
    BenchOptions options;
    EnvoyTuning tuning;
    InetSocketAddress external;
    ServerJvm jvm;
    try {
      jvm = serverJava != null ? ServerJvm.of(serverJava, "--server-java") : ServerJvm.select();
      options = options(root);
      tuning = tuning();
      external = extProcAddress == null ? null : address(extProcAddress);
      if (replicas < 1 || replicas > dev.extproc.stack.LocalStack.MAX_REPLICAS || (replicas > 1 && external != null)) {
        throw new IllegalArgumentException("--replicas: " + replicas + " (expected: 1.." + dev.extproc.stack.LocalStack.MAX_REPLICAS
            + ", and 1 with --ext-proc-address)");
      }
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    EnvoyInstallation envoy;
    try {
      envoy = root != null ? EnvoyInstallation.locateOrInstall(root) : EnvoyInstallation.locate();
    } catch (EnvoyNotFoundException e) {
      System.err.println("extproc bench: " + e.getMessage());
      return 2;
    }
    ensureMedia(options);
    Path dir = reportDir != null ? reportDir : Bench.defaultRunDir(root != null ? root.dir() : Path.of(""));
    String command = "extproc " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    return run(options, tuning, external, envoy, dir, command, out, jvm,
        serverJvmOptions.isEmpty() ? null : serverJvmOptions, replicas, warm ? ServerState.WARM : ServerState.FRESH);
  }

  /**
   * Runs the {@code seed} scenario at default scale with the default Envoy tuning (what {@code extproc demo}
   * ends with), generating the media when missing; returns the exit code.
   */
  static int seedAtDefaultScale(ProjectRoot root, PrintStream out) throws Exception {
    BenchOptions options = new BenchOptions("seed", Route.DEFAULTS, null, List.of(), root.dir().resolve("media"),
        Duration.ofSeconds(10), Duration.ofMinutes(10), false, List.of());
    ensureMedia(options);
    return run(options, EnvoyTuning.defaults(), null, EnvoyInstallation.locateOrInstall(root),
        Bench.defaultRunDir(root.dir()), "extproc bench --scenario seed", out, ServerJvm.select(), null, 1,
        ServerState.FRESH);
  }

  /**
   * Runs a benchmark with {@code replicas} ext_proc servers on {@code jvm} with {@code serverJvmOptions} (null: the
   * Java's default options); prints the report's place and verdicts; returns the exit code.
   */
  static int run(BenchOptions options, EnvoyTuning tuning, InetSocketAddress external, EnvoyInstallation envoy,
      Path dir, String command, PrintStream out, ServerJvm jvm, List<String> serverJvmOptions, int replicas,
      ServerState serverState) throws Exception {
    HttpClient admin = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).version(HttpClient.Version.HTTP_1_1).build();
    LocalStackEnvironment environment = new LocalStackEnvironment(envoy, tuning, external, admin,
        System.getProperty("java.class.path"), jvm, serverJvmOptions, replicas);
    out.println("extproc bench: scenario " + options.scenario() + ", routes " + options.routes() + ", run directory " + dir);
    BenchReport report;
    try (ProgressDisplay progress = ProgressDisplay.forEnvironment(System.getenv())) {
      report = Bench.run(options, environment, dir, progress, command, serverState);
    }
    for (ScenarioReport s : report.scenarios()) {
      out.println(s.key() + ":");
      s.routes().forEach(r -> out.println("  " + (r.ran()
          ? String.format("%-22s %d/%d verified, %s, p99 %s ms, Envoy peak RSS %s, processor peak heap %s, "
              + "processor CPU %s s, Envoy CPU %s s",
              r.route(), r.verified(), r.requests(),
              r.requestsPerS() != null ? Format.one(r.requestsPerS()) + " req/s" : Format.one(r.throughputMibS()) + " MiB/s",
              Format.one(r.p99Ms()), Format.mib(r.peakEnvoyRssBytes()), Format.mib(r.peakProcessorHeapBytes()),
              Format.two(r.cost().processorCpuS()), Format.two(r.cost().envoyCpuS()))
          : r.route() + " skipped: " + r.skipped())));
      for (TargetVerdict t : s.targets()) {
        out.println("  target: " + t.target() + ": " + t.verdict() + " (" + t.detail() + ")");
      }
    }
    out.println("report: " + dir.resolve("report.md").toAbsolutePath() + " (in a browser: "
        + dir.resolve("report.html").toAbsolutePath().toUri() + ")");
    out.println(report.allVerified() ? "every response verified" : "FAILED: some responses were not verified");
    return report.allVerified() ? 0 : 1;
  }

  private BenchOptions options(ProjectRoot root) {
    List<Integer> levels = new ArrayList<>();
    if (concurrency != null) {
      for (String c : concurrency.split(",")) {
        try {
          levels.add(Integer.parseInt(c.trim()));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--concurrency: " + concurrency + " (expected: N or N,N,...)");
        }
      }
    }
    Path media = mediaDir != null ? mediaDir : (root != null ? root.dir() : Path.of("")).resolve("media");
    return new BenchOptions(scenario, Route.parseList(routes), bodySize == null ? null : Format.parseSize(bodySize),
        levels, media, Sizes.parseDuration(duration), Sizes.parseDuration(timeout), profile, serverArgs);
  }

  private EnvoyTuning tuning() {
    EnvoyTuning.Builder b = EnvoyTuning.defaults().toBuilder();
    if (listenerBufferLimit != null) {
      b.listenerBufferLimitBytes(Format.parseSize(listenerBufferLimit));
    }
    if (extProcBufferLimit != null) {
      b.extProcBufferLimitBytes(Format.parseSize(extProcBufferLimit));
    }
    if (extProcWindow != null) {
      b.extProcHttp2StreamWindowBytes(Math.toIntExact(Format.parseSize(extProcWindow)));
    }
    if (extProcConnectionWindow != null) {
      b.extProcHttp2ConnectionWindowBytes(Math.toIntExact(Format.parseSize(extProcConnectionWindow)));
    }
    if (extProcMaxStreams != null) {
      b.extProcMaxConcurrentStreams(extProcMaxStreams);
    }
    if (messageTimeout != null) {
      b.messageTimeout(Sizes.parseDuration(messageTimeout));
    }
    return b.build();
  }

  static InetSocketAddress address(String text) {
    int colon = text.lastIndexOf(':');
    try {
      if (colon <= 0) {
        throw new NumberFormatException();
      }
      return InetSocketAddress.createUnresolved(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--ext-proc-address: " + text + " (expected: HOST:PORT)");
    }
  }

  /** Generates the seed's media with {@code extproc media} when a file the scenario needs is missing. */
  static void ensureMedia(BenchOptions options) {
    // small requests, sse and the transform scenarios (redact, json-mask) make their own bodies
    List<Path> needed = List.of("small", "sse", "redact", "json-mask").contains(options.scenario()) ? List.of()
        : options.scenario().equals("seed")
            ? List.of(options.input(), options.requestReplacement(), options.responseReplacement())
            : List.of(options.input());
    if (needed.stream().allMatch(Files::isRegularFile)) {
      return;
    }
    System.err.println("extproc bench: generating the test media in " + options.mediaDir() + " (extproc media) ...");
    int code = ExtProcMain.newCommandLine().execute("media", "--dir", options.mediaDir().toString());
    if (code != 0) {
      throw new IllegalStateException("extproc media --dir " + options.mediaDir() + " failed with exit code " + code);
    }
  }
}
