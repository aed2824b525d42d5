package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import dev.extproc.stack.EnvoyInstallation;
import dev.extproc.stack.EnvoyTuning;
import dev.extproc.stack.LocalStack;
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

  /** The ext_proc server's heap limit when the benchmark starts it (the stack's default). */
  public static final String SERVER_HEAP = "-Xmx1g";

  private final EnvoyInstallation envoy;
  private final EnvoyTuning tuning;
  private final InetSocketAddress externalExtProc;
  private final HttpClient adminClient;
  private final String classpath;

  /**
   * Creates the environment.
   *
   * @param externalExtProc an ext_proc server to use instead of starting one, or null
   * @param classpath the class path of the child Java processes (must hold {@code dev.extproc.app.ExtProcMain})
   */
  public LocalStackEnvironment(EnvoyInstallation envoy, EnvoyTuning tuning, InetSocketAddress externalExtProc,
      HttpClient adminClient, String classpath) {
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
    d.put("ext_proc_server", externalExtProc == null ? "started per route (" + SERVER_HEAP + ")"
        : "external " + externalExtProc.getHostString() + ":" + externalExtProc.getPort());
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
        .echoArgs(settings.aggregatingEcho() ? List.of("--aggregate") : List.of());
    boolean jfr = false;
    if (externalExtProc != null) {
      builder.externalExtProc(externalExtProc.getHostString(), externalExtProc.getPort());
    } else {
      List<String> jvm = new ArrayList<>(List.of(SERVER_HEAP));
      jvm.addAll(settings.serverJvmOptions());
      jfr = settings.jfrFile() != null;
      builder.serverArgs(settings.processorArgs()).serverJvmOptions(jvm);
    }
    LocalStack stack = builder.build();
    return new StackTarget(stack, jfr ? settings.jfrFile() : null, adminClient);
  }

  private static final class StackTarget implements Target {
    private final LocalStack stack;
    private final Path jfrFile;
    private final HttpClient adminClient;

    StackTarget(LocalStack stack, Path jfrFile, HttpClient adminClient) {
      this.stack = stack;
      this.jfrFile = jfrFile;
      this.adminClient = adminClient;
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
    public Optional<URI> envoyAdmin() {
      return Optional.of(stack.envoyAdminUri());
    }

    @Override
    public Optional<Path> jfrFile() {
      return Optional.ofNullable(jfrFile);
    }

    @Override
    public void close() {
      stack.close();
    }
  }
}
