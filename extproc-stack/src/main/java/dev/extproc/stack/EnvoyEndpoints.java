package dev.extproc.stack;

import java.util.List;
import java.util.Objects;

/**
 * Where Envoy listens and where its clusters point: the addresses and ports rendered into the
 * Envoy configuration. A port of 0 lets Envoy pick one (read back through {@link EnvoyAdmin}).
 *
 * @param listenAddress address both HTTP listeners bind to
 * @param listenerPort port of the listener with the ext_proc filter (seed: 18080)
 * @param baselinePort port of the baseline listener without ext_proc (seed: 19090)
 * @param adminAddress address the admin endpoint binds to
 * @param adminPort admin port (seed: 9901)
 * @param echoHost host of the echo backend (cluster {@code echo})
 * @param echoPort port of the echo backend (seed: 8688)
 * @param echoProtocol protocol Envoy speaks to the echo backend
 * @param extProcHost host of the ext_proc server replicas (cluster {@code ext_proc})
 * @param extProcPorts gRPC ports of the ext_proc server replicas on that host, one endpoint each
 *     (seed: one, 9001); at least one
 * @param accessLogPath file both listeners write their access log to ({@code /dev/stdout} in a container)
 */
public record EnvoyEndpoints(
    String listenAddress,
    int listenerPort,
    int baselinePort,
    String adminAddress,
    int adminPort,
    String echoHost,
    int echoPort,
    UpstreamProtocol echoProtocol,
    String extProcHost,
    List<Integer> extProcPorts,
    String accessLogPath) {

  /** The seed's ports. */
  public static final int LISTENER_PORT = 18080;
  public static final int BASELINE_PORT = 19090;
  public static final int ADMIN_PORT = 9901;
  public static final int ECHO_PORT = 8688;
  public static final int EXT_PROC_PORT = 9001;

  /** The protocol of an upstream cluster. */
  public enum UpstreamProtocol {
    /** HTTP/1.1, the seed's choice for the echo backend. */
    HTTP1,
    /** HTTP/2 cleartext with prior knowledge. */
    HTTP2
  }

  public EnvoyEndpoints {
    Objects.requireNonNull(listenAddress, "listenAddress");
    Objects.requireNonNull(adminAddress, "adminAddress");
    Objects.requireNonNull(echoHost, "echoHost");
    Objects.requireNonNull(echoProtocol, "echoProtocol");
    Objects.requireNonNull(extProcHost, "extProcHost");
    Objects.requireNonNull(accessLogPath, "accessLogPath");
    checkPort("listenerPort", listenerPort, true);
    checkPort("baselinePort", baselinePort, true);
    checkPort("adminPort", adminPort, true);
    checkPort("echoPort", echoPort, false);
    extProcPorts = List.copyOf(extProcPorts);
    if (extProcPorts.isEmpty()) {
      throw new IllegalArgumentException("extProcPorts: empty (expected: at least one replica)");
    }
    for (int port : extProcPorts) {
      checkPort("extProcPorts", port, false);
    }
  }

  /** The first (for one replica: the only) ext_proc gRPC port. */
  public int extProcPort() {
    return extProcPorts.get(0);
  }

  /** Everything on 127.0.0.1 with the seed's ports, access log to {@code /dev/null}. */
  public static EnvoyEndpoints loopbackDefaults() {
    return new EnvoyEndpoints("127.0.0.1", LISTENER_PORT, BASELINE_PORT, "127.0.0.1", ADMIN_PORT,
        "127.0.0.1", ECHO_PORT, UpstreamProtocol.HTTP1, "127.0.0.1", List.of(EXT_PROC_PORT), "/dev/null");
  }

  /**
   * The docker-compose topology: Envoy binds 0.0.0.0 with the seed's ports and reaches the services
   * {@code echo} and {@code extproc} by name; access log to stdout.
   */
  public static EnvoyEndpoints dockerCompose() {
    return new EnvoyEndpoints("0.0.0.0", LISTENER_PORT, BASELINE_PORT, "0.0.0.0", ADMIN_PORT,
        "echo", ECHO_PORT, UpstreamProtocol.HTTP1, "extproc", List.of(EXT_PROC_PORT), "/dev/stdout");
  }

  /** A copy with Envoy's three ports (listener, baseline, admin) set. */
  public EnvoyEndpoints withEnvoyPorts(int listener, int baseline, int admin) {
    return new EnvoyEndpoints(listenAddress, listener, baseline, adminAddress, admin, echoHost,
        echoPort, echoProtocol, extProcHost, extProcPorts, accessLogPath);
  }

  /** A copy with the echo backend at {@code host:port}. */
  public EnvoyEndpoints withEcho(String host, int port, UpstreamProtocol protocol) {
    return new EnvoyEndpoints(listenAddress, listenerPort, baselinePort, adminAddress, adminPort,
        host, port, protocol, extProcHost, extProcPorts, accessLogPath);
  }

  /** A copy with the ext_proc server at {@code host:port}. */
  public EnvoyEndpoints withExtProc(String host, int port) {
    return withExtProcReplicas(host, List.of(port));
  }

  /** A copy with one ext_proc server replica per port on {@code host}, all endpoints of one cluster. */
  public EnvoyEndpoints withExtProcReplicas(String host, List<Integer> ports) {
    return new EnvoyEndpoints(listenAddress, listenerPort, baselinePort, adminAddress, adminPort,
        echoHost, echoPort, echoProtocol, host, ports, accessLogPath);
  }

  /** A copy writing the access log to {@code path}. */
  public EnvoyEndpoints withAccessLog(String path) {
    return new EnvoyEndpoints(listenAddress, listenerPort, baselinePort, adminAddress, adminPort,
        echoHost, echoPort, echoProtocol, extProcHost, extProcPorts, path);
  }

  private static void checkPort(String name, int port, boolean zeroAllowed) {
    if (port < (zeroAllowed ? 0 : 1) || port > 65535) {
      throw new IllegalArgumentException(
          name + ": " + port + " (expected: " + (zeroAllowed ? "0" : "1") + "..65535)");
    }
  }
}
