package dev.extproc.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole system on loopback: the echo backend, the ext_proc server and a real Envoy between
 * them, each a child process awaited by health (not by sleeping) and stopped by {@link #close()}
 * in reverse order (and by a shutdown hook if the JVM ends first).
 *
 * <pre>{@code
 * try (LocalStack stack = LocalStack.builder().build()) {   // ephemeral ports
 *   URI streamed = stack.extProcUri().resolve("/streamed");
 *   ...
 *   assertThat(stack.envoyAdmin().extProcStats().clean()).isTrue();
 * }
 * }</pre>
 *
 * <p>The Java children run as {@code java <jvm options> -cp <classpath> <main class> echo|server ...}
 * (defaults: this JVM's class path and {@code dev.extproc.app.ExtProcMain}; the echo on this JVM's java, the
 * ext_proc server on {@link ServerJvm#select()}'s with {@link ServerJvm#options(String)}), and report their
 * ports through ready files (docs/interfaces.md). Envoy binds port 0 when asked and its real ports are read
 * from the admin endpoint.
 *
 * <p>{@link Builder#replicas(int)} runs several ext_proc servers, all endpoints of Envoy's one
 * {@code ext_proc} cluster ({@link #replicas()}, docs/scale-out.md); the single-server accessors
 * ({@link #extProcAdmin()}, {@link #killExtProcServer()} ...) then mean the first replica. The fault
 * methods are called from the test's thread; the accessors may be read from any thread.
 */
public final class LocalStack implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LocalStack.class);

  /** The address everything binds to. */
  public static final String HOST = "127.0.0.1";
  private static final String LEAK_DETECTION_PROPERTY = "io.netty.leakDetection.level";

  /** The default main class of the child Java processes. */
  public static final String DEFAULT_MAIN_CLASS = "dev.extproc.app.ExtProcMain";

  /** The most ext_proc server replicas one stack runs. */
  public static final int MAX_REPLICAS = 16;

  private final Builder config;
  private final Path workDir;
  private volatile boolean deleteWorkDir;
  private final EnvoyInstallation envoy;

  private ManagedProcess echo;
  /** The synthetic LLM upstream of route {@code /llm}, when {@link Builder#llmStub} asked for one. */
  private ManagedProcess llmStub;
  private int llmStubPort;
  /** The ext_proc server replicas this stack runs; empty when the server is external. */
  private final List<ExtProcReplica> replicas = new ArrayList<>();
  private ManagedProcess envoyProcess;
  private int echoPort;
  private int extProcPort;
  private String extProcHost;
  private String echoHost;
  private int listenerPort;
  private int baselinePort;
  private int envoyAdminPort;
  private Path envoyConfigFile;
  private EnvoyAdmin envoyAdmin;

  private LocalStack(Builder config, Path workDir, boolean deleteWorkDir, EnvoyInstallation envoy) {
    this.config = config;
    this.workDir = workDir;
    this.deleteWorkDir = deleteWorkDir;
    this.envoy = envoy;
  }

  /** A builder with ephemeral ports and default tuning. */
  public static Builder builder() {
    return new Builder();
  }

  // ------------------------------------------------------------------ accessors

  /** {@code http://127.0.0.1:<port>} of Envoy's listener with the ext_proc filter. */
  public URI extProcUri() {
    return URI.create("http://" + HOST + ":" + listenerPort);
  }

  /** {@code http://127.0.0.1:<port>} of Envoy's baseline listener (no ext_proc). */
  public URI baselineUri() {
    return URI.create("http://" + HOST + ":" + baselinePort);
  }

  /** {@code http://127.0.0.1:<port>} of Envoy's admin endpoint. */
  public URI envoyAdminUri() {
    return URI.create("http://" + HOST + ":" + envoyAdminPort);
  }

  /** {@code http://<host>:<port>} of the echo backend itself (bypassing Envoy). */
  public URI echoUri() {
    return URI.create("http://" + echoHost + ":" + echoPort);
  }

  /** {@code http://127.0.0.1:<port>} of the llm-stub itself (bypassing Envoy), empty when the stack runs none. */
  public Optional<URI> llmStubUri() {
    return llmStub == null ? Optional.empty() : Optional.of(URI.create("http://" + HOST + ":" + llmStubPort));
  }

  /** The llm-stub process, empty when the stack runs none. */
  public Optional<ManagedProcess> llmStubProcess() {
    return Optional.ofNullable(llmStub);
  }

  /** The ext_proc server's gRPC address (with several replicas: the first one's). */
  public InetSocketAddress extProcAddress() {
    return InetSocketAddress.createUnresolved(extProcHost, extProcPort);
  }

  /**
   * The bound ports (the ext_proc admin port is 0 when the ext_proc server is external; with several
   * replicas, the first one's ports).
   */
  public StackPorts ports() {
    return new StackPorts(listenerPort, baselinePort, envoyAdminPort, echoPort, extProcPort,
        replicas.isEmpty() ? 0 : replicas.get(0).adminPort());
  }

  /** The ext_proc server replicas, in the order of Envoy's endpoints; empty when the server is external. */
  public List<ExtProcReplica> replicas() {
    return List.copyOf(replicas);
  }

  /**
   * Replica {@code index} (0-based).
   *
   * @throws IllegalArgumentException if there is no such replica
   */
  public ExtProcReplica replica(int index) {
    if (index < 0 || index >= replicas.size()) {
      throw new IllegalArgumentException("replica " + index + " (expected: 0.." + (replicas.size() - 1)
          + (replicas.isEmpty() ? "; the ext_proc server is external" : "") + ")");
    }
    return replicas.get(index);
  }

  /** Envoy's admin client. */
  public EnvoyAdmin envoyAdmin() {
    return envoyAdmin;
  }

  /**
   * The ext_proc server's admin client.
   *
   * @throws IllegalStateException if the ext_proc server is external
   */
  public ExtProcAdmin extProcAdmin() {
    if (replicas.isEmpty()) {
      throw new IllegalStateException("the ext_proc server is external: no admin client");
    }
    return replicas.get(0).admin();
  }

  /** Envoy's pid. */
  public long envoyPid() {
    return envoyProcess.pid();
  }

  /** The echo backend's pid, empty if external. */
  public OptionalLong echoPid() {
    return echo == null ? OptionalLong.empty() : OptionalLong.of(echo.pid());
  }

  /** The ext_proc server's pid (the first replica's), empty if external or stopped. */
  public OptionalLong extProcPid() {
    return replicas.isEmpty() ? OptionalLong.empty() : replicas.get(0).pid();
  }

  /** The directory of the logs ({@code envoy.log}, {@code access.log}, {@code echo.log}, {@code extproc.log}), config and ready files. */
  public Path logDir() {
    return workDir;
  }

  /** Keeps the work dir (logs) after {@link #close()} even if the stack created it, e.g. after a failure. */
  public void keepLogDir() {
    deleteWorkDir = false;
  }

  /** Whether {@link #close()} deletes the work dir. */
  public boolean deletesLogDirOnClose() {
    return deleteWorkDir;
  }

  /** The rendered Envoy configuration. */
  public Path envoyConfigFile() {
    return envoyConfigFile;
  }

  /** The Envoy tuning the configuration was rendered with. */
  public EnvoyTuning tuning() {
    return config.tuning;
  }

  /** The Java the ext_proc server replicas run on (also when the server is external: then unused). */
  public ServerJvm serverJvm() {
    return config.serverJvm;
  }

  /** The JVM options of the ext_proc server replicas. */
  public List<String> serverJvmOptions() {
    return config.serverJvmOptions;
  }

  /** The Envoy binary used. */
  public EnvoyInstallation envoy() {
    return envoy;
  }

  /** The Envoy process (for its log). */
  public ManagedProcess envoyProcess() {
    return envoyProcess;
  }

  /** The ext_proc server process (the first replica's), empty if external. */
  public Optional<ManagedProcess> extProcProcess() {
    return replicas.isEmpty() ? Optional.empty() : replicas.get(0).process();
  }

  /** The echo process, empty if external. */
  public Optional<ManagedProcess> echoProcess() {
    return Optional.ofNullable(echo);
  }

  // ------------------------------------------------------------------ ext_proc server faults

  /** Stops the ext_proc server (the first replica) gracefully (SIGTERM, its own drain, SIGKILL after the grace period). */
  public void stopExtProcServer() {
    stopExtProcReplica(0);
  }

  /** Kills the ext_proc server (the first replica) at once (SIGKILL): the "crashed mid-upload" fault. */
  public void killExtProcServer() {
    killExtProcReplica(0);
  }

  /**
   * Starts the ext_proc server (the first replica) again on the same ports (Envoy's configuration is
   * static) and waits until it is healthy. The previous process must have ended.
   */
  public void startExtProcServer() {
    startExtProcReplica(0);
  }

  /** Stops the ext_proc server gracefully and starts it again. */
  public void restartExtProcServer() {
    stopExtProcServer();
    startExtProcServer();
  }

  /**
   * Stops replica {@code index} gracefully: SIGTERM, the server's own drain (health NOT_SERVING, no new
   * streams, streams in flight finish), SIGKILL after the stop grace. Blocks until it has exited;
   * returns its exit code.
   */
  public int stopExtProcReplica(int index) {
    return requireOwnReplica(index).stop(config.extProcStopGrace);
  }

  /** Kills replica {@code index} at once (SIGKILL); returns its exit code. */
  public int killExtProcReplica(int index) {
    return requireOwnReplica(index).kill();
  }

  /**
   * Starts replica {@code index} again on its ports and waits until it is healthy (its admin
   * {@code /healthz}; Envoy's own health check follows within its interval). The previous process
   * must have ended.
   */
  public void startExtProcReplica(int index) {
    ExtProcReplica replica = replica(index);
    ManagedProcess previous = requireOwnReplica(index);
    if (previous.isAlive()) {
      throw new IllegalStateException(replica.name() + " is still running (pid " + previous.pid() + "): stop or kill it first");
    }
    startReplica(replica, replica.grpcPort(), replica.adminPort());
    awaitReplica(replica);
  }

  private ManagedProcess requireOwnReplica(int index) {
    if (replicas.isEmpty()) {
      throw new IllegalStateException("the ext_proc server is external: this stack does not run it");
    }
    return replica(index).process().orElseThrow();
  }

  // ------------------------------------------------------------------ lifecycle

  private void start() {
    if (config.externalEcho == null) {
      echo = startJava("echo", config.javaExecutable, List.of("echo", "--host", HOST, "--port", Integer.toString(config.ports.echo()),
          "--ready-file", readyFile("echo").toString()), config.echoArgs, config.echoJvmOptions);
    } else {
      echoHost = config.externalEcho.getHostString();
      echoPort = config.externalEcho.getPort();
    }
    if (config.llmStubArgs != null) {
      List<String> args = List.of("llm-stub", "--host", HOST, "--port", "0", "--ready-file", readyFile("llm-stub").toString());
      llmStub = startJava("llm-stub", config.javaExecutable, args, config.llmStubArgs, List.of("-Xmx256m"));
    }
    if (config.externalExtProc == null) {
      for (int i = 0; i < config.replicas; i++) {
        ExtProcReplica replica = new ExtProcReplica(i);
        replicas.add(replica);
        // Fixed ports step by two per replica (9001/9002, 9003/9004, ...); 0 stays "pick one".
        startReplica(replica, config.ports.extProc() == 0 ? 0 : config.ports.extProc() + 2 * i,
            config.ports.extProcAdmin() == 0 ? 0 : config.ports.extProcAdmin() + 2 * i);
      }
    } else {
      extProcHost = config.externalExtProc.getHostString();
      extProcPort = config.externalExtProc.getPort();
    }
    if (echo != null) {
      Properties ready = awaitReadyFile(echo, readyFile("echo"));
      echoHost = HOST;
      echoPort = ReadyFile.intProperty(ready, "http.port", readyFile("echo"));
      HealthProbe health = new HealthProbe(URI.create("http://" + HOST + ":" + echoPort + "/healthz"));
      echo.awaitCondition("GET /healthz = 200 on echo port " + echoPort, health::ok, config.startTimeout);
    }
    if (llmStub != null) {
      llmStubPort = ReadyFile.intProperty(awaitReadyFile(llmStub, readyFile("llm-stub")), "http.port", readyFile("llm-stub"));
      HealthProbe health = new HealthProbe(URI.create("http://" + HOST + ":" + llmStubPort + "/healthz"));
      llmStub.awaitCondition("GET /healthz = 200 on llm-stub port " + llmStubPort, health::ok, config.startTimeout);
    }
    for (ExtProcReplica replica : replicas) {
      awaitReplica(replica);
    }
    if (!replicas.isEmpty()) {
      extProcHost = HOST;
      extProcPort = replicas.get(0).grpcPort();
    }
    startEnvoy();
    log.info("local stack up: ext_proc listener {}, baseline {}, Envoy admin {}, logs in {}",
        extProcUri(), baselineUri(), envoyAdminUri(), workDir);
  }

  private void startReplica(ExtProcReplica replica, int grpcPort, int adminPort) {
    Path ready = readyFile(replica.name());
    try {
      Files.deleteIfExists(ready);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> args = List.of("server", "--host", HOST, "--port", Integer.toString(grpcPort),
        "--admin-port", Integer.toString(adminPort), "--ready-file", ready.toString());
    List<String> extra = new ArrayList<>(config.serverArgs);
    extra.addAll(config.replicaServerArgs.getOrDefault(replica.index(), List.of()));
    replica.started(startJava(replica.name(), config.serverJvm.executable(), args, extra, config.serverJvmOptions));
  }

  private void awaitReplica(ExtProcReplica replica) {
    ManagedProcess process = replica.process().orElseThrow();
    Path file = readyFile(replica.name());
    Properties ready = awaitReadyFile(process, file);
    replica.ready(ReadyFile.intProperty(ready, "grpc.port", file), ReadyFile.intProperty(ready, "admin.port", file));
    ExtProcAdmin admin = replica.admin();
    process.awaitCondition("GET /healthz = 200 on " + replica.name() + " admin port " + replica.adminPort(),
        admin::isHealthy, config.startTimeout);
  }

  private void startEnvoy() {
    EnvoyEndpoints endpoints = EnvoyEndpoints.loopbackDefaults()
        .withEnvoyPorts(config.ports.listener(), config.ports.baseline(), config.ports.envoyAdmin())
        .withEcho(echoHost, echoPort, config.echoProtocol)
        .withExtProcReplicas(extProcHost, replicas.isEmpty() ? List.of(extProcPort)
            : replicas.stream().map(ExtProcReplica::grpcPort).toList())
        .withAccessLog(workDir.resolve("access.log").toString());
    envoyConfigFile = workDir.resolve("envoy.yaml");
    Path adminAddressFile = workDir.resolve("envoy-admin.address");
    try {
      String rendered = llmStub == null ? EnvoyConfigTemplate.render(endpoints, config.tuning)
          : EnvoyConfigTemplate.render(endpoints, config.tuning, HOST, llmStubPort);
      Files.writeString(envoyConfigFile, rendered, StandardCharsets.UTF_8);
      Files.deleteIfExists(adminAddressFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + envoyConfigFile, e);
    }
    List<String> command = new ArrayList<>(List.of(
        envoy.binary().toString(),
        "-c", envoyConfigFile.toString(),
        "--admin-address-path", adminAddressFile.toString(),
        // No shared memory, hence no base id to collide on: several Envoys (parallel tests, a bench
        // next to a demo) run at once, and a killed Envoy leaves nothing in /dev/shm.
        "--disable-hot-restart",
        "--concurrency", Integer.toString(config.envoyConcurrency),
        "--log-level", config.envoyLogLevel,
        // Access log lines reach the file within 200 ms instead of 10 s.
        "--file-flush-interval-msec", "200"));
    if (config.envoyComponentLogLevel != null) {
      command.add("--component-log-level");
      command.add(config.envoyComponentLogLevel);
    }
    command.addAll(config.extraEnvoyArgs);
    envoyProcess = ManagedProcess.start("envoy", command, workDir.resolve("envoy.log"));
    InetSocketAddress admin = envoyProcess.awaitReady("admin address in " + adminAddressFile,
        () -> readAdminAddress(adminAddressFile), config.startTimeout);
    envoyAdminPort = admin.getPort();
    envoyAdmin = new EnvoyAdmin(URI.create("http://" + HOST + ":" + envoyAdminPort));
    EnvoyAdmin client = envoyAdmin;
    envoyProcess.awaitCondition("GET /ready = 200 on Envoy admin port " + envoyAdminPort, client::isReady,
        config.startTimeout);
    Map<String, InetSocketAddress> listeners = envoyProcess.awaitReady("listeners ext_proc and baseline bound",
        () -> {
          Map<String, InetSocketAddress> bound = client.listeners();
          return bound.containsKey("ext_proc") && bound.containsKey("baseline")
              && bound.get("ext_proc").getPort() != 0 && bound.get("baseline").getPort() != 0
              ? Optional.of(bound) : Optional.empty();
        }, config.startTimeout);
    listenerPort = listeners.get("ext_proc").getPort();
    baselinePort = listeners.get("baseline").getPort();
  }

  private static Optional<InetSocketAddress> readAdminAddress(Path file) {
    try {
      if (!Files.exists(file)) {
        return Optional.empty();
      }
      String text = Files.readString(file).strip();
      int colon = text.lastIndexOf(':');
      if (colon <= 0 || colon == text.length() - 1) {
        return Optional.empty();
      }
      int port = Integer.parseInt(text.substring(colon + 1));
      return port > 0 ? Optional.of(InetSocketAddress.createUnresolved(text.substring(0, colon), port)) : Optional.empty();
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private ManagedProcess startJava(String name, Path java, List<String> subcommand, List<String> extraArgs,
      List<String> jvmOptions) {
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(jvmOptions);
    // Children inherit this JVM's Netty leak detection level (paranoid under Surefire), so that a
    // leak in the echo backend or the ext_proc server is reported too (see reportLeaks).
    String leakLevel = System.getProperty(LEAK_DETECTION_PROPERTY);
    if (leakLevel != null && jvmOptions.stream().noneMatch(o -> o.startsWith("-D" + LEAK_DETECTION_PROPERTY + "="))) {
      command.add("-D" + LEAK_DETECTION_PROPERTY + "=" + leakLevel);
    }
    command.add("-cp");
    command.add(config.classpath);
    command.add(config.mainClass);
    command.addAll(subcommand);
    command.addAll(extraArgs);
    Path logFile = workDir.resolve(name + ".log");
    return ManagedProcess.start(name, command, logFile);
  }

  private Properties awaitReadyFile(ManagedProcess process, Path file) {
    return process.awaitReady("ready file " + file, () -> ReadyFile.read(file), config.startTimeout);
  }

  private Path readyFile(String name) {
    return workDir.resolve(name + ".ready");
  }

  /** Stops Envoy, the ext_proc server and the echo backend, in that order, then removes a work dir it created. */
  @Override
  public void close() {
    stopProcesses(deleteWorkDir);
  }

  private void stopProcesses(boolean deleteDir) {
    RuntimeException failure = null;
    List<ManagedProcess> order = new ArrayList<>();
    order.add(envoyProcess);
    replicas.forEach(r -> order.add(r.process().orElse(null)));
    order.add(echo);
    order.add(llmStub);
    for (ManagedProcess process : order) {
      if (process == null) {
        continue;
      }
      try {
        process.stop(process == echo || process == envoyProcess || process == llmStub ? Duration.ofSeconds(5) : config.extProcStopGrace);
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    reportLeaks();
    if (deleteDir) {
      deleteRecursively(workDir);
    }
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * The lines of the Java children's logs that report a Netty buffer leak ({@code LEAK:}), each
   * prefixed with its log file. Empty when nothing leaked.
   */
  public List<String> leakReports() {
    List<String> leaks = new ArrayList<>();
    List<ManagedProcess> children = new ArrayList<>();
    replicas.forEach(r -> r.process().ifPresent(children::add));
    children.add(echo);
    children.add(llmStub);
    for (ManagedProcess process : children) {
      if (process == null || !Files.exists(process.logFile())) {
        continue;
      }
      try (Stream<String> lines = Files.lines(process.logFile(), StandardCharsets.UTF_8)) {
        lines.filter(line -> line.contains("LEAK:")).forEach(line -> leaks.add(process.logFile() + ": " + line));
      } catch (IOException | java.io.UncheckedIOException e) {
        log.warn("cannot scan {} for leaks: {}", process.logFile(), e.toString());
      }
    }
    return leaks;
  }

  /** Copies leak reports of the children to stderr, where .ci/run looks for {@code LEAK:}. */
  private void reportLeaks() {
    for (String leak : leakReports()) {
      System.err.println("child process reported a Netty leak: " + leak);
    }
  }

  @Override
  public String toString() {
    return "LocalStack[ext_proc listener " + extProcUri() + ", baseline " + baselineUri() + ", admin "
        + envoyAdminUri() + ", echo " + echoUri() + ", ext_proc " + extProcHost + ":" + extProcPort
        + (replicas.size() > 1 ? " and " + (replicas.size() - 1) + " more replicas" : "")
        + ", logs " + workDir + "]";
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> {
        try {
          Files.deleteIfExists(path);
        } catch (IOException e) {
          log.warn("cannot delete {}: {}", path, e.toString());
        }
      });
    } catch (IOException e) {
      log.warn("cannot delete {}: {}", dir, e.toString());
    }
  }

  /** GET that answers whether the status is 200, false on any error. */
  private static final class HealthProbe {
    private final AdminHttp http;
    private final String path;

    HealthProbe(URI uri) {
      this.http = new AdminHttp(URI.create(uri.getScheme() + "://" + uri.getAuthority()), Duration.ofSeconds(5));
      this.path = uri.getPath();
    }

    boolean ok() {
      try {
        return http.get(path).statusCode() == 200;
      } catch (RuntimeException e) {
        return false;
      }
    }
  }

  // ------------------------------------------------------------------ builder

  /** Configures and starts a {@link LocalStack}. */
  public static final class Builder {
    private ProjectRoot root;
    private EnvoyInstallation envoy;
    private Path workDir;
    private boolean keepWorkDir;
    private StackPorts ports = StackPorts.ephemeral();
    private EnvoyTuning tuning = EnvoyTuning.defaults();
    private EnvoyEndpoints.UpstreamProtocol echoProtocol = EnvoyEndpoints.UpstreamProtocol.HTTP1;
    private List<String> echoArgs = List.of();
    private List<String> llmStubArgs;
    private List<String> serverArgs = List.of();
    private List<String> echoJvmOptions = List.of("-Xmx512m");
    private List<String> serverJvmOptions;
    private ServerJvm serverJvm;
    private InetSocketAddress externalExtProc;
    private InetSocketAddress externalEcho;
    private Path javaExecutable = Path.of(System.getProperty("java.home"), "bin", "java");
    private String classpath = System.getProperty("java.class.path");
    private String mainClass = DEFAULT_MAIN_CLASS;
    private int envoyConcurrency = 2;
    private String envoyLogLevel = "info";
    private String envoyComponentLogLevel;
    private List<String> extraEnvoyArgs = List.of();
    private Duration startTimeout = Duration.ofSeconds(60);
    private Duration extProcStopGrace = Duration.ofSeconds(15);
    private int replicas = 1;
    private final Map<Integer, List<String>> replicaServerArgs = new java.util.HashMap<>();

    private Builder() {}

    /**
     * How many ext_proc server processes to run behind Envoy's one {@code ext_proc} cluster; default 1.
     * With fixed ports, replica {@code i} uses the gRPC and admin ports plus {@code 2 i}.
     */
    public Builder replicas(int replicas) {
      if (replicas < 1 || replicas > MAX_REPLICAS) {
        throw new IllegalArgumentException("replicas: " + replicas + " (expected: 1.." + MAX_REPLICAS + ")");
      }
      this.replicas = replicas;
      return this;
    }

    /** More {@code extproc server} arguments for replica {@code index} only, after {@link #serverArgs}: a fault on one replica. */
    public Builder replicaServerArgs(int index, List<String> args) {
      if (index < 0) {
        throw new IllegalArgumentException("replica index: " + index + " (expected: >= 0)");
      }
      this.replicaServerArgs.put(index, List.copyOf(args));
      return this;
    }

    /** The project root (for locating Envoy); default: {@link ProjectRoot#find()}. */
    public Builder projectRoot(ProjectRoot root) {
      this.root = Objects.requireNonNull(root, "root");
      return this;
    }

    /** The Envoy to run; default: {@link EnvoyInstallation#locate(ProjectRoot)}. */
    public Builder envoy(EnvoyInstallation envoy) {
      this.envoy = Objects.requireNonNull(envoy, "envoy");
      return this;
    }

    /**
     * Where logs, the rendered config and ready files go; kept after close. Default: a new temporary
     * directory, deleted on close unless {@link #keepWorkDir(boolean)}.
     */
    public Builder workDir(Path workDir) {
      this.workDir = Objects.requireNonNull(workDir, "workDir");
      return this;
    }

    /** Keep a temporary work dir after close (for looking at logs). */
    public Builder keepWorkDir(boolean keep) {
      this.keepWorkDir = keep;
      return this;
    }

    /** The ports to ask for; default {@link StackPorts#ephemeral()}. */
    public Builder ports(StackPorts ports) {
      this.ports = Objects.requireNonNull(ports, "ports");
      return this;
    }

    /** Envoy's memory and timeout settings; default {@link EnvoyTuning#defaults()}. */
    public Builder tuning(EnvoyTuning tuning) {
      this.tuning = Objects.requireNonNull(tuning, "tuning");
      return this;
    }

    /** The protocol Envoy speaks to the echo backend; default HTTP/1.1. */
    public Builder echoProtocol(EnvoyEndpoints.UpstreamProtocol protocol) {
      this.echoProtocol = Objects.requireNonNull(protocol, "protocol");
      return this;
    }

    /** Extra arguments of {@code extproc echo} (e.g. {@code --aggregate}). */
    public Builder echoArgs(List<String> args) {
      this.echoArgs = List.copyOf(args);
      return this;
    }

    /** Extra arguments of {@code extproc server} (e.g. {@code --processor capture --capture-dir D}). */
    public Builder serverArgs(List<String> args) {
      this.serverArgs = List.copyOf(args);
      return this;
    }

    /**
     * Also runs {@code extproc llm-stub} with these extra arguments (e.g. {@code --format anthropic
     * --events 100}) as the upstream of Envoy's route {@code /llm}; without it that route goes to the
     * echo backend.
     */
    public Builder llmStub(List<String> args) {
      this.llmStubArgs = List.copyOf(args);
      return this;
    }

    /** JVM options of the echo process; default {@code -Xmx512m}. */
    public Builder echoJvmOptions(List<String> options) {
      this.echoJvmOptions = List.copyOf(options);
      return this;
    }

    /**
     * JVM options of the ext_proc server process; default {@link ServerJvm#options(String)} of the server's
     * Java for the class path (docs/benchmarks.md, "CPU and the JVM").
     */
    public Builder serverJvmOptions(List<String> options) {
      this.serverJvmOptions = List.copyOf(options);
      return this;
    }

    /** Use an ext_proc server that is already running instead of starting one. */
    public Builder externalExtProc(String host, int port) {
      this.externalExtProc = InetSocketAddress.createUnresolved(host, port);
      return this;
    }

    /** Use an echo backend that is already running instead of starting one. */
    public Builder externalEcho(String host, int port) {
      this.externalEcho = InetSocketAddress.createUnresolved(host, port);
      return this;
    }

    /**
     * The Java of the ext_proc server; default {@link ServerJvm#select()}: {@value ServerJvm#JAVA_ENV}, else a
     * JDK {@value ServerJvm#PREFERRED_FEATURE} when installed, else this JVM's.
     */
    public Builder serverJvm(ServerJvm jvm) {
      this.serverJvm = Objects.requireNonNull(jvm, "jvm");
      return this;
    }

    /** The {@code java} of the echo process; default this JVM's (the server's: {@link #serverJvm}). */
    public Builder javaExecutable(Path java) {
      this.javaExecutable = Objects.requireNonNull(java, "java");
      return this;
    }

    /** The class path of the child processes; default this JVM's {@code java.class.path}. */
    public Builder classpath(String classpath) {
      this.classpath = Objects.requireNonNull(classpath, "classpath");
      return this;
    }

    /** The main class of the child processes; default {@value LocalStack#DEFAULT_MAIN_CLASS}. */
    public Builder mainClass(String mainClass) {
      this.mainClass = Objects.requireNonNull(mainClass, "mainClass");
      return this;
    }

    /** Envoy's {@code --concurrency} (worker threads); default 2. */
    public Builder envoyConcurrency(int concurrency) {
      if (concurrency < 1) {
        throw new IllegalArgumentException("envoyConcurrency: " + concurrency + " (expected: >= 1)");
      }
      this.envoyConcurrency = concurrency;
      return this;
    }

    /** Envoy's {@code --log-level}; default {@code info}. */
    public Builder envoyLogLevel(String level) {
      this.envoyLogLevel = Objects.requireNonNull(level, "level");
      return this;
    }

    /** Envoy's {@code --component-log-level}, e.g. {@code ext_proc:debug}; default none. */
    public Builder envoyComponentLogLevel(String levels) {
      this.envoyComponentLogLevel = levels;
      return this;
    }

    /** More Envoy command-line arguments. */
    public Builder extraEnvoyArgs(List<String> args) {
      this.extraEnvoyArgs = List.copyOf(args);
      return this;
    }

    /** How long each process may take to become ready; default 60 s. */
    public Builder startTimeout(Duration timeout) {
      this.startTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** How long a stopped ext_proc server may drain before SIGKILL; default 15 s. */
    public Builder extProcStopGrace(Duration grace) {
      this.extProcStopGrace = Objects.requireNonNull(grace, "grace");
      return this;
    }

    /**
     * Starts the echo backend and the ext_proc server (unless external), then Envoy, and waits until
     * each is ready. On failure everything started is stopped before the exception propagates.
     *
     * @throws EnvoyNotFoundException if Envoy is not installed (the message says how to install it)
     * @throws ProcessFailedException if a process dies or is not ready in time (with its log's tail)
     */
    public LocalStack build() {
      replicaServerArgs.keySet().stream().filter(index -> index >= replicas).findFirst().ifPresent(index -> {
        throw new IllegalArgumentException("replicaServerArgs for replica " + index + " (expected: 0.." + (replicas - 1)
            + " with replicas(" + replicas + "))");
      });
      if (serverJvm == null) {
        serverJvm = ServerJvm.select();
      }
      if (serverJvmOptions == null) {
        serverJvmOptions = serverJvm.options(classpath);
      }
      EnvoyInstallation envoyToUse = envoy != null ? envoy
          : EnvoyInstallation.locate(root != null ? root : ProjectRoot.find());
      Path dir;
      boolean delete;
      try {
        if (workDir != null) {
          dir = Files.createDirectories(workDir);
          delete = false;
        } else {
          dir = Files.createTempDirectory("extproc-stack-");
          delete = !keepWorkDir;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the stack's work dir", e);
      }
      LocalStack stack = new LocalStack(this, dir.toAbsolutePath(), delete, envoyToUse);
      try {
        stack.start();
        return stack;
      } catch (RuntimeException e) {
        try {
          stack.stopProcesses(false); // keep the logs of a failed start
          log.error("local stack failed to start; logs kept in {}", dir);
        } catch (RuntimeException closing) {
          e.addSuppressed(closing);
        }
        throw e;
      }
    }
  }
}
