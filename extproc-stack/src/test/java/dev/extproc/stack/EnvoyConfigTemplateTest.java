package dev.extproc.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

class EnvoyConfigTemplateTest {

  @TempDir Path dir;

  @Test
  void loopbackDefaults_renderToAConfigThatRealEnvoyAccepts() throws Exception {
    String yaml = EnvoyConfigTemplate.render(EnvoyEndpoints.loopbackDefaults(), EnvoyTuning.defaults());

    assertThat(yaml).doesNotContain("{{");
    assertValidatedByEnvoy(yaml);
  }

  @Test
  void ephemeralPortsHttp2EchoAndOtherTuning_renderToAConfigThatRealEnvoyAccepts() throws Exception {
    EnvoyEndpoints endpoints = EnvoyEndpoints.loopbackDefaults()
        .withEnvoyPorts(0, 0, 0)
        .withEcho("127.0.0.1", 1234, EnvoyEndpoints.UpstreamProtocol.HTTP2)
        .withAccessLog(dir.resolve("access.log").toString());
    EnvoyTuning tuning = EnvoyTuning.defaults().toBuilder()
        .extProcHttp2StreamWindowBytes(65_535)
        .extProcBufferLimitBytes(16 * 1024)
        .messageTimeout(Duration.ofMillis(250))
        .extProcMaxConcurrentStreams(8)
        .build();

    String yaml = EnvoyConfigTemplate.render(endpoints, tuning);

    assertThat(yaml).contains("http2_protocol_options: { initial_stream_window_size: 1048576")
        .contains("message_timeout: 0.250s")
        .contains("initial_stream_window_size: 65535")
        .contains("max_concurrent_streams: 8");
    assertValidatedByEnvoy(yaml);
  }

  @Test
  void everyRoute_hasItsBodyModeBothWaysAndTrailersAsContracted() {
    Map<String, Object> config = new Yaml().load(
        EnvoyConfigTemplate.render(EnvoyEndpoints.loopbackDefaults(), EnvoyTuning.defaults()));

    Map<String, Map<String, Object>> modes = routeModes(listener(config, "ext_proc"));

    assertThat(modes).containsOnlyKeys("/streamed", "/fail-open-streamed", "/full-duplex-streamed", "/buffered",
        "/buffered-partial", "/headers-only", "/llm");
    assertMode(modes.get("/streamed"), "STREAMED", "SEND");
    assertMode(modes.get("/fail-open-streamed"), "STREAMED", "SEND");
    assertMode(modes.get("/full-duplex-streamed"), "FULL_DUPLEX_STREAMED", "SEND");
    assertMode(modes.get("/buffered"), "BUFFERED", "SEND");
    assertMode(modes.get("/buffered-partial"), "BUFFERED_PARTIAL", "SEND");
    assertMode(modes.get("/headers-only"), "NONE", "SKIP");
    // The server chooses /llm's response body mode per request (mode_override).
    assertMode(modes.get("/llm"), "NONE", "SKIP");
  }

  @Test
  void llmRoute_goesToTheLlmUpstream_modeOverrideAllowedToThreeModes_usageInTheAccessLog() throws Exception {
    String yaml = EnvoyConfigTemplate.render(EnvoyEndpoints.loopbackDefaults(), EnvoyTuning.defaults(), "127.0.0.1", 8689);

    assertThat(yaml).contains("socket_address: { address: \"127.0.0.1\", port_value: 8689 }")
        .contains("allow_mode_override: true")
        .contains("output_tokens=%DYNAMIC_METADATA(extproc.llm:output_tokens)%")
        .contains("untyped: [\"extproc.llm\"]");
    Map<String, Object> config = new Yaml().load(yaml);
    assertThat(extProcFilter(listener(config, "ext_proc")).get("allowed_override_modes")).asList().hasSize(3);
    assertValidatedByEnvoy(yaml);
  }

  @Test
  void baselineListener_hasTheSamePathsAndNoExtProcFilter() {
    Map<String, Object> config = new Yaml().load(
        EnvoyConfigTemplate.render(EnvoyEndpoints.loopbackDefaults(), EnvoyTuning.defaults()));

    Map<String, Object> baseline = listener(config, "baseline");

    assertThat(routeModes(baseline)).containsOnlyKeys("/streamed", "/full-duplex-streamed", "/buffered",
        "/buffered-partial", "/headers-only", "/llm").allSatisfy((path, mode) -> assertThat(mode).isNull());
    assertThat(httpFilterNames(baseline)).containsExactly("envoy.filters.http.router");
    assertThat(httpFilterNames(listener(config, "ext_proc")))
        .containsExactly("envoy.filters.http.ext_proc", "envoy.filters.http.router");
  }

  @Test
  void committedDeployEnvoyYaml_equalsAFreshRender() throws Exception {
    Path committed = ProjectRoot.find().dir().resolve("deploy/envoy.yaml");

    assertThat(Files.readString(committed, StandardCharsets.UTF_8))
        .as("deploy/envoy.yaml is stale; regenerate it with: mvn -q -pl extproc-stack compile && "
            + "java -cp extproc-stack/target/classes dev.extproc.stack.EnvoyConfigTemplate deploy/envoy.yaml")
        .isEqualTo(EnvoyConfigTemplate.renderDockerCompose());
  }

  @Test
  void placeholderWithoutValue_isAnError() {
    assertThatThrownBy(() -> EnvoyConfigTemplate.substitute("port: {{NOPE}}", Map.of()))
        .hasMessageContaining("{{NOPE}}");
  }

  @Test
  void valueWithoutPlaceholder_isAnError() {
    assertThatThrownBy(() -> EnvoyConfigTemplate.substitute("port: 1", Map.of("PORT", "1")))
        .hasMessageContaining("PORT");
  }

  @Test
  void durations_renderAsProtobufDurations() {
    assertThat(EnvoyConfigTemplate.duration(Duration.ofSeconds(30))).isEqualTo("30s");
    assertThat(EnvoyConfigTemplate.duration(Duration.ofMillis(1250))).isEqualTo("1.250s");
  }

  @Test
  void windowBelowHttp2Minimum_isRejected() {
    assertThatThrownBy(() -> EnvoyTuning.defaults().toBuilder().extProcHttp2StreamWindowBytes(1000).build())
        .hasMessage("extProcHttp2StreamWindowBytes: 1000 (expected: 65535..2147483647)");
  }

  @Test
  void defaults_putUpTo16ExtProcSideStreamsOnAConnection() {
    assertThat(EnvoyConfigTemplate.render(EnvoyEndpoints.loopbackDefaults(), EnvoyTuning.defaults()))
        .contains("max_concurrent_streams: 16\n");
  }

  @Test
  void extProcMaxConcurrentStreamsBelowOne_isRejected() {
    assertThatThrownBy(() -> EnvoyTuning.defaults().toBuilder().extProcMaxConcurrentStreams(0).build())
        .hasMessage("extProcMaxConcurrentStreams: 0 (expected: 1..2147483647)");
  }

  @Test
  @SuppressWarnings("unchecked")
  void replicas_becomeEndpointsOfOneRoundRobinClusterWithHealthChecksOutlierDetectionAndRetry() throws Exception {
    String yaml = EnvoyConfigTemplate.render(
        EnvoyEndpoints.loopbackDefaults().withExtProcReplicas("127.0.0.1", List.of(9001, 9003, 9005)), EnvoyTuning.defaults());
    Map<String, Object> config = new Yaml().load(yaml);

    List<Map<String, Object>> clusters =
        (List<Map<String, Object>>) ((Map<String, Object>) config.get("static_resources")).get("clusters");
    Map<String, Object> extProc = clusters.stream().filter(c -> "ext_proc".equals(c.get("name"))).findFirst().orElseThrow();
    List<Map<String, Object>> endpoints = (List<Map<String, Object>>) ((List<Map<String, Object>>)
        ((Map<String, Object>) extProc.get("load_assignment")).get("endpoints")).get(0).get("lb_endpoints");
    List<Object> ports = endpoints.stream().map(e -> ((Map<String, Object>) ((Map<String, Object>)
        ((Map<String, Object>) e.get("endpoint")).get("address")).get("socket_address")).get("port_value")).toList();

    assertThat(ports).containsExactly(9001, 9003, 9005);
    assertThat(extProc).containsEntry("lb_policy", "ROUND_ROBIN").containsKeys("health_checks", "outlier_detection");
    Map<String, Object> healthCheck = ((List<Map<String, Object>>) extProc.get("health_checks")).get(0);
    assertThat((Map<String, Object>) healthCheck.get("grpc_health_check"))
        .containsEntry("service_name", "envoy.service.ext_proc.v3.ExternalProcessor");
    assertThat(yaml).contains("retry_on: connect-failure,refused-stream,reset,unavailable")
        .contains("envoy.retry_host_predicates.previous_hosts");
    assertValidatedByEnvoy(yaml);
  }

  @Test
  void noExtProcReplica_isAnError() {
    assertThatThrownBy(() -> EnvoyEndpoints.loopbackDefaults().withExtProcReplicas("127.0.0.1", List.of()))
        .hasMessage("extProcPorts: empty (expected: at least one replica)");
  }

  @Test
  void replicasOutOfRange_areRejectedByTheBuilder() {
    assertThatThrownBy(() -> LocalStack.builder().replicas(0)).hasMessage("replicas: 0 (expected: 1..16)");
    assertThatThrownBy(() -> LocalStack.builder().replicas(17)).hasMessage("replicas: 17 (expected: 1..16)");
    assertThatThrownBy(() -> LocalStack.builder().replicas(2).replicaServerArgs(2, List.of("--processor", "delay")).build())
        .hasMessage("replicaServerArgs for replica 2 (expected: 0..1 with replicas(2))");
  }

  @Test
  void clusterHosts_areParsedFromTheAdminClustersText() {
    String text = String.join("\n",
        "ext_proc::observability_name::ext_proc",
        "ext_proc::default_priority::max_connections::1024",
        "ext_proc::127.0.0.1:9001::rq_total::7",
        "ext_proc::127.0.0.1:9001::health_flags::healthy",
        "ext_proc::127.0.0.1:9003::health_flags::/failed_active_hc/failed_outlier_check",
        "echo::127.0.0.1:8688::health_flags::healthy");

    Map<String, Map<String, String>> hosts = EnvoyAdmin.parseClusterHosts(text, "ext_proc");

    assertThat(hosts).containsOnlyKeys("127.0.0.1:9001", "127.0.0.1:9003");
    assertThat(hosts.get("127.0.0.1:9001")).containsEntry("rq_total", "7").containsEntry("health_flags", "healthy");
    assertThat(hosts.get("127.0.0.1:9003")).containsEntry("health_flags", "/failed_active_hc/failed_outlier_check");
  }

  private void assertValidatedByEnvoy(String yaml) throws Exception {
    Path file = dir.resolve("envoy.yaml");
    Files.writeString(file, yaml);
    EnvoyInstallation envoy = EnvoyInstallation.locate();
    Path out = dir.resolve("validate.log");
    Process process = new ProcessBuilder(envoy.binary().toString(), "--mode", "validate", "-c", file.toString(),
        "--disable-hot-restart")
        .redirectErrorStream(true)
        .redirectOutput(out.toFile())
        .start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("envoy --mode validate finished").isTrue();
    String output = Files.readString(out);
    assertThat(process.exitValue()).as("envoy --mode validate exit code; output:\n" + output).isZero();
    assertThat(output).contains("OK");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> listener(Map<String, Object> config, String name) {
    List<Map<String, Object>> listeners =
        (List<Map<String, Object>>) ((Map<String, Object>) config.get("static_resources")).get("listeners");
    return listeners.stream().filter(l -> name.equals(l.get("name"))).findFirst().orElseThrow();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> extProcFilter(Map<String, Object> listener) {
    return ((List<Map<String, Object>>) hcm(listener).get("http_filters")).stream()
        .filter(f -> f.get("name").equals("envoy.filters.http.ext_proc"))
        .map(f -> (Map<String, Object>) f.get("typed_config")).findFirst().orElseThrow();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> hcm(Map<String, Object> listener) {
    List<Map<String, Object>> chains = (List<Map<String, Object>>) listener.get("filter_chains");
    List<Map<String, Object>> filters = (List<Map<String, Object>>) chains.get(0).get("filters");
    return (Map<String, Object>) filters.get(0).get("typed_config");
  }

  @SuppressWarnings("unchecked")
  private static List<String> httpFilterNames(Map<String, Object> listener) {
    return ((List<Map<String, Object>>) hcm(listener).get("http_filters")).stream()
        .map(f -> (String) f.get("name")).toList();
  }

  /** Path prefix -> per-route processing mode (null when the route has no ext_proc override). */
  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> routeModes(Map<String, Object> listener) {
    Map<String, Object> routeConfig = (Map<String, Object>) hcm(listener).get("route_config");
    List<Map<String, Object>> hosts = (List<Map<String, Object>>) routeConfig.get("virtual_hosts");
    Map<String, Map<String, Object>> modes = new java.util.LinkedHashMap<>();
    for (Map<String, Object> route : (List<Map<String, Object>>) hosts.get(0).get("routes")) {
      String path = (String) ((Map<String, Object>) route.get("match")).get("path_separated_prefix");
      assertThat(((Map<String, Object>) route.get("route")).get("cluster")).isEqualTo(path.equals("/llm") ? "llm" : "echo");
      Map<String, Object> perFilter = (Map<String, Object>) route.get("typed_per_filter_config");
      Map<String, Object> mode = perFilter == null ? null
          : (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) perFilter
              .get("envoy.filters.http.ext_proc")).get("overrides")).get("processing_mode");
      modes.put(path, mode);
    }
    return modes;
  }

  private static void assertMode(Map<String, Object> mode, String body, String trailers) {
    assertThat(mode).containsEntry("request_header_mode", "SEND").containsEntry("response_header_mode", "SEND")
        .containsEntry("request_body_mode", body).containsEntry("response_body_mode", body)
        .containsEntry("request_trailer_mode", trailers).containsEntry("response_trailer_mode", trailers);
  }
}
