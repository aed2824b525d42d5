package dev.extproc.stack;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders the Envoy configuration from the template resource {@code envoy.yaml.tmpl} next to this
 * class: listener {@code ext_proc} with one route per body mode, listener {@code baseline} without
 * ext_proc, the admin endpoint, and the clusters {@code echo} and {@code ext_proc}.
 *
 * <p>Rendering replaces every {@code {{NAME}}} placeholder; a placeholder without a value, or a value
 * without a placeholder, is an error, so the template and this class cannot drift apart silently.
 */
public final class EnvoyConfigTemplate {

  /** Classpath location of the template, relative to this class. */
  public static final String RESOURCE = "envoy.yaml.tmpl";

  private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([A-Z0-9_]+)}}");

  private EnvoyConfigTemplate() {}

  /** Renders the configuration for these endpoints and tuning values. */
  public static String render(EnvoyEndpoints endpoints, EnvoyTuning tuning) {
    Objects.requireNonNull(endpoints, "endpoints");
    return render(endpoints, tuning, endpoints.echoHost(), endpoints.echoPort());
  }

  /**
   * Renders the configuration with cluster {@code llm} (route {@code /llm}) at {@code llmHost:llmPort}
   * (an LLM upstream such as {@code extproc llm-stub}); {@link #render(EnvoyEndpoints, EnvoyTuning)}
   * points it at the echo backend.
   */
  public static String render(EnvoyEndpoints endpoints, EnvoyTuning tuning, String llmHost, int llmPort) {
    Objects.requireNonNull(endpoints, "endpoints");
    Objects.requireNonNull(tuning, "tuning");
    Objects.requireNonNull(llmHost, "llmHost");
    if (llmPort < 1 || llmPort > 65535) {
      throw new IllegalArgumentException("llmPort: " + llmPort + " (expected: 1..65535)");
    }
    Map<String, String> values = values(endpoints, tuning);
    values.put("LLM_HOST", llmHost);
    values.put("LLM_PORT", Integer.toString(llmPort));
    return substitute(template(), values);
  }

  /**
   * The configuration for the docker-compose topology ({@link EnvoyEndpoints#dockerCompose()}, default
   * tuning), committed as {@code deploy/envoy.yaml}.
   */
  public static String renderDockerCompose() {
    return render(EnvoyEndpoints.dockerCompose(), EnvoyTuning.defaults());
  }

  /**
   * Writes {@link #renderDockerCompose()} to the file given as the only argument: regenerates
   * {@code deploy/envoy.yaml} after a template change
   * ({@code java -cp extproc-stack/target/classes dev.extproc.stack.EnvoyConfigTemplate deploy/envoy.yaml}).
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: EnvoyConfigTemplate <output file>");
      System.exit(2);
    }
    java.nio.file.Files.writeString(java.nio.file.Path.of(args[0]), renderDockerCompose(), StandardCharsets.UTF_8);
  }

  /** The placeholder values for these endpoints and tuning values. */
  static Map<String, String> values(EnvoyEndpoints e, EnvoyTuning t) {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("ADMIN_ADDRESS", e.adminAddress());
    v.put("ADMIN_PORT", Integer.toString(e.adminPort()));
    v.put("LISTEN_ADDRESS", e.listenAddress());
    v.put("LISTENER_PORT", Integer.toString(e.listenerPort()));
    v.put("BASELINE_PORT", Integer.toString(e.baselinePort()));
    v.put("ECHO_HOST", e.echoHost());
    v.put("ECHO_PORT", Integer.toString(e.echoPort()));
    v.put("ECHO_HTTP_CONFIG", switch (e.echoProtocol()) {
      case HTTP1 -> "{ http_protocol_options: { enable_trailers: true } }";
      case HTTP2 -> "{ http2_protocol_options: { initial_stream_window_size: " + t.http2StreamWindowBytes()
          + ", initial_connection_window_size: " + t.http2ConnectionWindowBytes() + " } }";
    });
    v.put("EXT_PROC_LB_ENDPOINTS", lbEndpoints(e.extProcHost(), e.extProcPorts()));
    v.put("ACCESS_LOG_PATH", e.accessLogPath());
    v.put("LISTENER_BUFFER_LIMIT", Long.toString(t.listenerBufferLimitBytes()));
    v.put("ECHO_BUFFER_LIMIT", Long.toString(t.echoBufferLimitBytes()));
    v.put("EXT_PROC_BUFFER_LIMIT", Long.toString(t.extProcBufferLimitBytes()));
    v.put("EXT_PROC_HTTP2_STREAM_WINDOW", Integer.toString(t.extProcHttp2StreamWindowBytes()));
    v.put("EXT_PROC_HTTP2_CONNECTION_WINDOW", Integer.toString(t.extProcHttp2ConnectionWindowBytes()));
    v.put("EXT_PROC_MAX_CONCURRENT_STREAMS", Integer.toString(t.extProcMaxConcurrentStreams()));
    v.put("HTTP2_STREAM_WINDOW", Integer.toString(t.http2StreamWindowBytes()));
    v.put("HTTP2_CONNECTION_WINDOW", Integer.toString(t.http2ConnectionWindowBytes()));
    v.put("BUFFERED_ROUTE_BUFFER_LIMIT", Long.toString(t.bufferedRouteBufferLimitBytes()));
    v.put("MESSAGE_TIMEOUT", duration(t.messageTimeout()));
    v.put("ROUTE_TIMEOUT", duration(t.routeTimeout()));
    v.put("STREAM_IDLE_TIMEOUT", duration(t.streamIdleTimeout()));
    v.put("CONNECT_TIMEOUT", duration(t.connectTimeout()));
    return v;
  }

  /** One {@code lb_endpoints} entry per replica, indented for the template's ext_proc cluster. */
  static String lbEndpoints(String host, java.util.List<Integer> ports) {
    StringBuilder out = new StringBuilder();
    for (int port : ports) {
      if (out.length() > 0) {
        out.append('\n');
      }
      out.append("        - endpoint:\n")
          .append("            address:\n")
          .append("              socket_address: { address: \"").append(host).append("\", port_value: ")
          .append(port).append(" }");
    }
    return out.toString();
  }

  /** Replaces every placeholder of {@code template} with its value. */
  static String substitute(String template, Map<String, String> values) {
    Matcher matcher = PLACEHOLDER.matcher(template);
    StringBuilder out = new StringBuilder(template.length() + 512);
    java.util.Set<String> used = new java.util.HashSet<>();
    while (matcher.find()) {
      String name = matcher.group(1);
      String value = values.get(name);
      if (value == null) {
        throw new IllegalStateException("template placeholder {{" + name + "}} has no value (known: "
            + values.keySet() + ")");
      }
      used.add(name);
      matcher.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    matcher.appendTail(out);
    for (String name : values.keySet()) {
      if (!used.contains(name)) {
        throw new IllegalStateException("value " + name + " has no {{" + name + "}} in the template");
      }
    }
    return out.toString();
  }

  /** Protobuf JSON/YAML duration: seconds with up to millisecond precision, e.g. {@code 0.250s}. */
  static String duration(Duration d) {
    long millis = d.toMillis();
    return millis % 1000 == 0
        ? (millis / 1000) + "s"
        : String.format(java.util.Locale.ROOT, "%d.%03ds", millis / 1000, millis % 1000);
  }

  static String template() {
    try (InputStream in = EnvoyConfigTemplate.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("resource " + RESOURCE + " missing next to " + EnvoyConfigTemplate.class);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }
}
