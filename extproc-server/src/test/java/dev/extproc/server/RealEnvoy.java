package dev.extproc.server;

import dev.extproc.stack.EnvoyInstallation;
import dev.extproc.stack.ManagedProcess;
import dev.extproc.stack.ProjectRoot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real Envoy (the project's pinned 1.40) in front of an echo upstream, with the ext_proc filter
 * in STREAMED mode and one route per ext_proc cluster: {@code /<name>} goes through the ext_proc
 * cluster {@code <name>} (a per-route gRPC service override), so one Envoy tries several ways of
 * reaching the server. Fails (never skips) when Envoy cannot be found or installed.
 */
final class RealEnvoy implements AutoCloseable {
  /** One ext_proc cluster: its address YAML and an optional transport socket YAML (indented for the cluster). */
  record Cluster(String name, String address, String transportSocket) {
    static Cluster tcp(String name, int port, String transportSocket) {
      return new Cluster(name, "{socket_address: {address: 127.0.0.1, port_value: " + port + "}}", transportSocket);
    }

    static Cluster uds(String name, Path socket) {
      return new Cluster(name, "{pipe: {path: \"" + socket + "\"}}", "");
    }
  }

  private final ManagedProcess process;
  private final int port;

  private RealEnvoy(ManagedProcess process, int port) {
    this.process = process;
    this.port = port;
  }

  static RealEnvoy start(Path dir, int echoPort, List<Cluster> clusters) throws IOException {
    int port = freePort();
    Path config = dir.resolve("envoy.yaml");
    Files.writeString(config, render(port, echoPort, clusters));
    EnvoyInstallation envoy = EnvoyInstallation.locateOrInstall(ProjectRoot.find());
    ManagedProcess process = ManagedProcess.start("envoy", List.of(envoy.binary().toString(), "-c", config.toString(),
        "--disable-hot-restart", "--concurrency", "1", "--log-level", "warn",
        "--admin-address-path", dir.resolve("envoy-admin.address").toString()), dir.resolve("envoy.log"), Map.of());
    RealEnvoy started = new RealEnvoy(process, port);
    try {
      process.awaitCondition("Envoy listening on " + port, started::listening, Duration.ofSeconds(30));
    } catch (RuntimeException e) {
      process.close();
      throw e;
    }
    return started;
  }

  int port() {
    return port;
  }

  String logTail() {
    return process.logTail(40);
  }

  @Override
  public void close() {
    process.close();
  }

  private boolean listening() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  static String tlsSocket(Path caFile, Path certFile, Path keyFile) {
    StringBuilder yaml = new StringBuilder()
        .append("    transport_socket:\n")
        .append("      name: envoy.transport_sockets.tls\n")
        .append("      typed_config:\n")
        .append("        \"@type\": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext\n")
        .append("        sni: localhost\n")
        .append("        common_tls_context:\n")
        .append("          alpn_protocols: [h2]\n")
        .append("          validation_context: {trusted_ca: {filename: \"").append(caFile).append("\"}}\n");
    if (certFile != null) {
      yaml.append("          tls_certificates: [{certificate_chain: {filename: \"").append(certFile)
          .append("\"}, private_key: {filename: \"").append(keyFile).append("\"}}]\n");
    }
    return yaml.toString();
  }

  private static String render(int port, int echoPort, List<Cluster> clusters) {
    List<String> routes = new ArrayList<>();
    StringBuilder clusterYaml = new StringBuilder();
    for (Cluster cluster : clusters) {
      routes.add("""
                        - match: {prefix: "/%1$s"}
                          route: {cluster: echo}
                          typed_per_filter_config:
                            envoy.filters.http.ext_proc:
                              "@type": type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute
                              overrides: {grpc_service: {envoy_grpc: {cluster_name: %1$s}, timeout: 10s}}
          """.formatted(cluster.name()));
      clusterYaml.append("""
            - name: %s
              type: STATIC
              connect_timeout: 2s
              typed_extension_protocol_options:
                envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
                  "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                  explicit_http_config: {http2_protocol_options: {}}
              load_assignment: {cluster_name: %1$s, endpoints: [{lb_endpoints: [{endpoint: {address: %s}}]}]}
          """.formatted(cluster.name(), cluster.address())).append(cluster.transportSocket());
    }
    return """
        static_resources:
          listeners:
          - name: ingress
            address: {socket_address: {address: 127.0.0.1, port_value: %d}}
            filter_chains:
            - filters:
              - name: envoy.filters.network.http_connection_manager
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                  stat_prefix: ingress
                  route_config:
                    virtual_hosts:
                    - name: all
                      domains: ["*"]
                      routes:
        %s          http_filters:
                  - name: envoy.filters.http.ext_proc
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor
                      grpc_service: {envoy_grpc: {cluster_name: %s}, timeout: 10s}
                      message_timeout: 10s
                      processing_mode: {request_header_mode: SEND, response_header_mode: SEND, request_body_mode: STREAMED, response_body_mode: STREAMED, request_trailer_mode: SKIP, response_trailer_mode: SKIP}
                  - name: envoy.filters.http.router
                    typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}
          clusters:
          - name: echo
            type: STATIC
            connect_timeout: 2s
            load_assignment: {cluster_name: echo, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: %d}}}}]}]}
        %s""".formatted(port, String.join("", routes), clusters.get(0).name(), echoPort, clusterYaml);
  }
}
