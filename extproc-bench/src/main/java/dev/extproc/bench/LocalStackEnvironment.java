package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import dev.extproc.stack.EnvoyInstallation;
import dev.extproc.stack.EnvoyTuning;
import dev.extproc.stack.LocalStack;
import dev.extproc.stack.ServerJvm;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The real environment: a fresh {@link LocalStack} (Envoy, echo backend, ext_proc server unless external)
 * per route, with the stack's logs kept in the route's directory. A fresh Envoy per route makes its
 * {@code VmHWM} the route's own peak.
 */
public final class LocalStackEnvironment implements BenchEnvironment {

  /**
   * The ext_proc server's heap limit of issue 5 ("heap used under 64 MiB at concurrency 10"); the server's
   * default options ({@link ServerJvm#options()}) keep it.
   */
  public static final String SERVER_HEAP = "-Xmx64m";

  /** The aggregating echo's heap (and so direct memory) limit: room for 10 x 78 MiB bodies and their copies. */
  public static final String AGGREGATING_ECHO_HEAP = "-Xmx4g";

  private final EnvoyInstallation envoy;
  private final EnvoyTuning tuning;
  private final InetSocketAddress externalExtProc;
  private final HttpClient adminClient;
  private final String classpath;
  private final List<String> serverJvmOptions;
  private final ServerJvm serverJvm;
  private final int replicas;

  /**
   * Creates the environment.
   *
   * @param externalExtProc an ext_proc server to use instead of starting one, or null
   * @param classpath the class path of the child Java processes (must hold {@code dev.extproc.app.ExtProcMain})
   */
  public LocalStackEnvironment(EnvoyInstallation envoy, EnvoyTuning tuning, InetSocketAddress externalExtProc,
      HttpClient adminClient, String classpath) {
    this(envoy, tuning, externalExtProc, adminClient, classpath, ServerJvm.select(), null, 1);
  }

  /**
   * Creates the environment with the ext_proc server's JVM options (its heap limit, GC), to which the
   * benchmark adds its JFR option.
   */
  public LocalStackEnvironment(EnvoyInstallation envoy, EnvoyTuning tuning, InetSocketAddress externalExtProc,
      HttpClient adminClient, String classpath, List<String> serverJvmOptions) {
    this(envoy, tuning, externalExtProc, adminClient, classpath, serverJvmOptions, 1);
  }

  /**
   * Creates the environment with {@code replicas} ext_proc server processes behind Envoy's one cluster
   * (docs/scale-out.md). The memory meters follow the first replica; each route directory gets
   * {@code replicas.csv} with every replica's side-stream count.
   */
  public LocalStackEnvironment(EnvoyInstallation envoy, EnvoyTuning tuning, InetSocketAddress externalExtProc,
      HttpClient adminClient, String classpath, List<String> serverJvmOptions, int replicas) {
    this(envoy, tuning, externalExtProc, adminClient, classpath, ServerJvm.select(), serverJvmOptions, replicas);
  }

  /**
   * Creates the environment with the ext_proc server's Java and JVM options.
   *
   * @param serverJvm the Java the ext_proc server runs on (reported as {@code processor_java})
   * @param serverJvmOptions its JVM options, or null for {@link ServerJvm#options()}; the benchmark adds its
   *     JFR option with {@code --profile}
   */
  public LocalStackEnvironment(EnvoyInstallation envoy, EnvoyTuning tuning, InetSocketAddress externalExtProc,
      HttpClient adminClient, String classpath, ServerJvm serverJvm, List<String> serverJvmOptions, int replicas) {
    this.serverJvm = requireNonNull(serverJvm, "serverJvm");
    if (replicas < 1 || replicas > LocalStack.MAX_REPLICAS) {
      throw new IllegalArgumentException("--replicas: " + replicas + " (expected: 1.." + LocalStack.MAX_REPLICAS + ")");
    }
    if (replicas > 1 && externalExtProc != null) {
      throw new IllegalArgumentException("--replicas: " + replicas + " with --ext-proc-address (expected: one or the other)");
    }
    this.replicas = replicas;
    this.serverJvmOptions = serverJvmOptions == null ? serverJvm.options(classpath) : List.copyOf(serverJvmOptions);
    this.envoy = requireNonNull(envoy, "envoy");
    this.tuning = requireNonNull(tuning, "tuning");
    this.externalExtProc = externalExtProc;
    this.adminClient = requireNonNull(adminClient, "adminClient");
    this.classpath = requireNonNull(classpath, "classpath");
  }

  @Override
  public OptionalLong bufferLimitBytes() {
    return OptionalLong.of(tuning.bufferedRouteBufferLimitBytes());
  }

  @Override
  public Map<String, String> describe() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("envoy", envoy.version() + " (" + envoy.binary() + ")");
    d.put("listener_buffer_limit", Long.toString(tuning.listenerBufferLimitBytes()));
    d.put("echo_cluster_buffer_limit", Long.toString(tuning.echoBufferLimitBytes()));
    d.put("ext_proc_cluster_buffer_limit", Long.toString(tuning.extProcBufferLimitBytes()));
    d.put("ext_proc_h2_stream_window", Integer.toString(tuning.extProcHttp2StreamWindowBytes()));
    d.put("ext_proc_h2_connection_window", Integer.toString(tuning.extProcHttp2ConnectionWindowBytes()));
    d.put("buffered_route_limit", Long.toString(tuning.bufferedRouteBufferLimitBytes()));
    d.put("echo_jvm", "streaming -Xmx512m, aggregating " + AGGREGATING_ECHO_HEAP);
    d.put("ext_proc_server", externalExtProc == null ? "started per route"
        : "external " + externalExtProc.getHostString() + ":" + externalExtProc.getPort());
    d.put("ext_proc_server_jvm", String.join(" ", serverJvmOptions));
    d.put("processor_java", externalExtProc == null ? serverJvm.describe() : "external");
    d.put("ext_proc_replicas", Integer.toString(replicas));
    return d;
  }

  @Override
  public Target start(StackSettings settings, Route route, Path routeDir) {
    LocalStack.Builder builder = LocalStack.builder()
        .envoy(envoy)
        .tuning(tuning)
        .classpath(classpath)
        .workDir(routeDir.resolve("stack"))
        .envoyLogLevel("warning")
        .echoArgs(settings.aggregatingEcho() ? List.of("--aggregate") : List.of())
        // The aggregating echo holds every body whole (in Netty direct buffers, which the JVM caps at -Xmx):
        // 10 x 78 MiB does not fit the stack's default 512 MiB, and the echo would drop connections.
        .echoJvmOptions(List.of(settings.aggregatingEcho() ? AGGREGATING_ECHO_HEAP : "-Xmx512m"));
    if (SseScenario.servesLlm(route)) {
      builder.llmStub(SseScenario.STUB_ARGS);
    }
    boolean jfr = false;
    if (externalExtProc != null) {
      builder.externalExtProc(externalExtProc.getHostString(), externalExtProc.getPort());
    } else {
      List<String> jvm = new ArrayList<>(serverJvmOptions);
      jvm.addAll(settings.serverJvmOptions());
      jfr = settings.jfrFile() != null;
      builder.serverArgs(settings.processorArgs()).serverJvm(serverJvm).serverJvmOptions(jvm).replicas(replicas);
    }
    LocalStack stack = builder.build();
    return new StackTarget(stack, jfr ? settings.jfrFile() : null, adminClient, routeDir.resolve("replicas.csv"));
  }

  private static final class StackTarget implements Target {
    private final LocalStack stack;
    private final Path jfrFile;
    private final HttpClient adminClient;
    private final Path replicasFile;

    StackTarget(LocalStack stack, Path jfrFile, HttpClient adminClient, Path replicasFile) {
      this.stack = stack;
      this.jfrFile = jfrFile;
      this.adminClient = adminClient;
      this.replicasFile = replicasFile;
    }

    /** Writes each replica's side-stream count: how the route's exchanges spread over the replicas. */
    private void writeReplicaCounts() {
      if (stack.replicas().size() < 2) {
        return;
      }
      StringBuilder csv = new StringBuilder("replica,grpc_port,streams_started\n");
      for (dev.extproc.stack.ExtProcReplica r : stack.replicas()) {
        String started;
        try {
          started = r.isAlive() ? Long.toString(r.admin().stat("streams_started")) : "";
        } catch (RuntimeException e) {
          started = "";
        }
        csv.append(r.index()).append(',').append(r.grpcPort()).append(',').append(started).append('\n');
      }
      try {
        java.nio.file.Files.writeString(replicasFile, csv);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot write " + replicasFile, e);
      }
    }

    @Override
    public URI baseUri(Route route) {
      return route.baseline() ? stack.baselineUri() : stack.extProcUri();
    }

    @Override
    public List<MeterSource> meterSources() {
      List<MeterSource> sources = new ArrayList<>();
      sources.add(MeterSources.process("envoy", stack.envoyPid(), Metric.ENVOY_RSS, Metric.ENVOY_PEAK_RSS));
      sources.add(MeterSources.envoyMemory(adminClient, stack.envoyAdminUri()));
      stack.extProcPid().ifPresent(pid ->
          sources.add(MeterSources.process("ext_proc", pid, Metric.PROCESSOR_RSS, Metric.PROCESSOR_PEAK_RSS)));
      if (stack.extProcProcess().isPresent()) {
        URI admin = URI.create("http://" + LocalStack.HOST + ":" + stack.ports().extProcAdmin());
        sources.add(MeterSources.extProcStats(adminClient, admin));
      }
      stack.echoPid().ifPresent(pid -> sources.add(MeterSources.process("echo", pid, Metric.ECHO_RSS, Metric.ECHO_PEAK_RSS)));
      return sources;
    }

    @Override
    public Map<String, Long> pids() {
      Map<String, Long> pids = new LinkedHashMap<>();
      pids.put("envoy", stack.envoyPid());
      stack.extProcPid().ifPresent(pid -> pids.put("ext_proc", pid));
      return pids;
    }

    @Override
    public Optional<URI> envoyAdmin() {
      return Optional.of(stack.envoyAdminUri());
    }

    @Override
    public OptionalLong processorPid() {
      return stack.extProcPid();
    }

    @Override
    public OptionalLong envoyPid() {
      return OptionalLong.of(stack.envoyPid());
    }

    @Override
    public Optional<URI> processorAdmin() {
      return stack.extProcProcess().map(p -> URI.create("http://" + LocalStack.HOST + ":" + stack.ports().extProcAdmin()));
    }

    @Override
    public Optional<Path> jfrFile() {
      return Optional.ofNullable(jfrFile);
    }

    @Override
    public void close() {
      try {
        writeReplicaCounts();
      } finally {
        stack.close();
      }
    }
  }
}
