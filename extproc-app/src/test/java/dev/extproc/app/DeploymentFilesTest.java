package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.extproc.echo.EchoServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Checks the deployment files for users (docker-compose.yaml, Dockerfile, deploy/envoy.yaml)
 * against each other and against the CLI, since no Docker engine runs here to try them: the
 * services and ports are the seed's, Envoy's clusters reach the compose services, the commands
 * parse with our own CLI, and the healthcheck command works against a real echo backend.
 */
@Timeout(60)
class DeploymentFilesTest {

  private static Path root;
  private static Map<String, Object> compose;
  private static Map<String, Object> services;

  @BeforeAll
  static void load() throws IOException {
    root = repositoryRoot();
    compose = yaml(root.resolve("docker-compose.yaml"));
    services = map(compose.get("services"), "services");
  }

  @Test
  void compose_hasTheSeedsThreeServices() {
    assertThat(services).containsOnlyKeys("envoy", "echo", "extproc");
  }

  @Test
  void envoy_usesTheOfficialImageAtThePinnedVersion() throws IOException {
    Path pin = root.resolve("deploy/ENVOY_VERSION");
    String version = Files.exists(pin) ? Files.readString(pin).trim() : "1.40.0";

    assertThat(service("envoy").get("image")).isEqualTo("envoyproxy/envoy:v" + version);
    assertThat(version).isEqualTo("1.40.0");
  }

  @Test
  void envoy_publishesTheSeedsPorts_mountsTheRenderedConfig_andHasTheSeedsMemoryLimit() {
    Map<String, Object> envoy = service("envoy");

    assertThat(ports(envoy)).containsExactlyInAnyOrder("18080:18080", "19090:19090", "9901:9901");
    assertThat(list(envoy.get("volumes"), "envoy.volumes")).contains("./deploy/envoy.yaml:/etc/envoy/envoy.yaml:ro");
    assertThat(root.resolve("deploy/envoy.yaml")).isRegularFile();
    assertThat(list(envoy.get("command"), "envoy.command")).containsSubsequence("-c", "/etc/envoy/envoy.yaml");
    assertThat(memoryLimit(envoy)).isEqualTo("1G");
    assertThat(map(envoy.get("depends_on"), "envoy.depends_on")).containsOnlyKeys("echo", "extproc");
  }

  @Test
  void echoAndExtproc_runOurImage_withTheContractsPorts() {
    Map<String, Object> echo = service("echo");
    Map<String, Object> extproc = service("extproc");

    assertThat(echo.get("build")).isEqualTo(".");
    assertThat(extproc.get("build")).isEqualTo(".");
    assertThat(echo.get("image")).isEqualTo(extproc.get("image"));
    assertThat(list(echo.get("command"), "echo.command"))
        .containsExactly("echo", "--host", "0.0.0.0", "--port", "8688");
    assertThat(list(extproc.get("command"), "extproc.command"))
        .containsExactly("server", "--host", "0.0.0.0", "--port", "9001", "--admin-port", "9002");
    assertThat(ports(echo)).containsExactly("8688:8688");
    assertThat(ports(extproc)).containsExactlyInAnyOrder("9001:9001", "9002:9002");
  }

  @Test
  void serviceCommands_parseWithTheExtprocCli() {
    for (String name : List.of("echo", "extproc")) {
      List<String> command = strings(list(service(name).get("command"), name + ".command"));
      // Throws (and fails the test) on an unknown option or a bad value.
      ExtProcMain.newCommandLine().parseArgs(command.toArray(String[]::new));
    }
  }

  @Test
  void envoyClusters_pointAtTheComposeServicesAndTheirPorts() throws IOException {
    Map<String, Object> envoyConfig = yaml(root.resolve("deploy/envoy.yaml"));
    Map<String, Object> staticResources = map(envoyConfig.get("static_resources"), "static_resources");
    Map<String, Integer> endpoints = new HashMap<>(); // cluster name -> port, keyed by "host:port"
    Map<String, String> hostOfCluster = new HashMap<>();
    for (Object c : list(staticResources.get("clusters"), "clusters")) {
      Map<String, Object> cluster = map(c, "cluster");
      String name = (String) cluster.get("name");
      Map<String, Object> address = socketAddressOfFirstEndpoint(cluster);
      hostOfCluster.put(name, (String) address.get("address"));
      endpoints.put(name, (Integer) address.get("port_value"));
    }

    assertThat(hostOfCluster).containsEntry("echo", "echo").containsEntry("ext_proc", "extproc");
    assertThat(endpoints).containsEntry("echo", 8688).containsEntry("ext_proc", 9001);
    for (Map.Entry<String, String> e : hostOfCluster.entrySet()) {
      Map<String, Object> target = service(e.getValue());
      assertThat(containerPorts(target))
          .as("service %s publishes the port of cluster %s", e.getValue(), e.getKey())
          .contains(endpoints.get(e.getKey()));
    }
  }

  @Test
  void envoyListenersAndAdmin_arePublishedByTheEnvoyService() throws IOException {
    Map<String, Object> envoyConfig = yaml(root.resolve("deploy/envoy.yaml"));
    List<Integer> ports = new ArrayList<>();
    Map<String, Object> admin = map(envoyConfig.get("admin"), "admin");
    ports.add((Integer) map(map(admin.get("address"), "admin.address").get("socket_address"), "socket_address").get("port_value"));
    for (Object l : list(map(envoyConfig.get("static_resources"), "static_resources").get("listeners"), "listeners")) {
      Map<String, Object> address = map(map(l, "listener").get("address"), "listener.address");
      Map<String, Object> socket = map(address.get("socket_address"), "socket_address");
      assertThat(socket.get("address")).as("listeners bind every interface in a container").isEqualTo("0.0.0.0");
      ports.add((Integer) socket.get("port_value"));
    }

    assertThat(containerPorts(service("envoy"))).containsExactlyInAnyOrderElementsOf(ports);
  }

  @Test
  void dockerfile_buildsTheShadedJarAndRunsItAsANonRootUser() throws IOException {
    String dockerfile = Files.readString(root.resolve("Dockerfile"));
    String appPom = Files.readString(root.resolve("extproc-app/pom.xml"));

    assertThat(dockerfile)
        .as("base images pinned by version")
        .containsPattern("(?m)^FROM maven:3\\.9\\.\\d+-eclipse-temurin-17 AS build$")
        .containsPattern("(?m)^FROM eclipse-temurin:17\\.0\\.\\d+_\\d+-jre-\\w+$")
        .contains("mvn -B -DskipTests package -pl extproc-app -am")
        .contains("COPY --from=build /src/extproc-app/target/extproc.jar /app/extproc.jar")
        .contains("ENTRYPOINT [\"java\", \"-jar\", \"/app/extproc.jar\"]")
        .as("the server on all interfaces by default")
        .contains("CMD [\"server\", \"--host\", \"0.0.0.0\", \"--port\", \"9001\", \"--admin-port\", \"9002\"]")
        .as("container JVM flags: heap from the memory limit, exit on OutOfMemoryError")
        .containsPattern("(?m)^ENV JDK_JAVA_OPTIONS=\"-XX:MaxRAMPercentage=\\d+ -XX:\\+ExitOnOutOfMemoryError\"$")
        .contains("HEALTHCHECK ")
        .contains("LABEL org.opencontainers.image.title=")
        .containsPattern("(?m)^USER (?!root|0\\b)\\S+");
    assertThat(appPom).as("the jar name the Dockerfile copies").contains("<finalName>extproc</finalName>");
    assertThat(Files.readAllLines(root.resolve(".dockerignore")))
        .as("the build context leaves out build outputs and the Envoy virtualenv")
        .contains("**/target/", ".venv/");
  }

  @Test
  void echoHealthcheck_succeedsAgainstARealEchoBackend() throws Exception {
    List<String> test = strings(list(map(service("echo").get("healthcheck"), "echo.healthcheck").get("test"), "test"));
    assertThat(test.subList(0, 3)).containsExactly("CMD", "bash", "-c");
    Path bash = Path.of("/bin/bash");
    if (!Files.isExecutable(bash)) {
      fail("this test runs the compose healthcheck with bash, and /bin/bash is missing: install bash");
    }
    try (EchoServer echo = EchoServer.builder().port(0).ioThreads(1).build()) {
      int port = echo.start();
      String script = test.get(3).replace("/8688", "/" + port);
      Process process = new ProcessBuilder(bash.toString(), "-c", script).redirectErrorStream(true).start();
      assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(process.exitValue()).as("healthcheck exit; output: %s", output).isZero();
    }
  }

  @Test
  void extprocHealthcheck_isTheSameProbeOnTheAdminPort() {
    List<String> echo = strings(list(map(service("echo").get("healthcheck"), "h").get("test"), "test"));
    List<String> extproc = strings(list(map(service("extproc").get("healthcheck"), "h").get("test"), "test"));

    assertThat(extproc.get(3)).isEqualTo(echo.get(3).replace("/8688", "/9002"));
  }

  // ---- helpers

  private static Map<String, Object> service(String name) {
    return map(services.get(name), "services." + name);
  }

  private static Map<String, Object> socketAddressOfFirstEndpoint(Map<String, Object> cluster) {
    Map<String, Object> assignment = map(cluster.get("load_assignment"), "load_assignment");
    Map<String, Object> endpoints = map(list(assignment.get("endpoints"), "endpoints").get(0), "endpoints[0]");
    Map<String, Object> lbEndpoint = map(list(endpoints.get("lb_endpoints"), "lb_endpoints").get(0), "lb_endpoints[0]");
    Map<String, Object> endpoint = map(lbEndpoint.get("endpoint"), "endpoint");
    return map(map(endpoint.get("address"), "address").get("socket_address"), "socket_address");
  }

  private static List<String> ports(Map<String, Object> service) {
    return strings(list(service.get("ports"), "ports"));
  }

  /** The container side of each {@code host:container} port mapping. */
  private static List<Integer> containerPorts(Map<String, Object> service) {
    List<Integer> ports = new ArrayList<>();
    for (String mapping : ports(service)) {
      ports.add(Integer.parseInt(mapping.substring(mapping.lastIndexOf(':') + 1)));
    }
    return ports;
  }

  private static String memoryLimit(Map<String, Object> service) {
    Map<String, Object> resources = map(map(service.get("deploy"), "deploy").get("resources"), "resources");
    return String.valueOf(map(resources.get("limits"), "limits").get("memory"));
  }

  private static Map<String, Object> yaml(Path path) throws IOException {
    assertThat(path).as("deployment file").isRegularFile();
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    return map(yaml.load(Files.readString(path)), path.toString());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value, String what) {
    assertThat(value).as("%s is a mapping", what).isInstanceOf(Map.class);
    return (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object value, String what) {
    assertThat(value).as("%s is a list", what).isInstanceOf(List.class);
    return (List<Object>) value;
  }

  private static List<String> strings(List<Object> values) {
    List<String> strings = new ArrayList<>();
    for (Object v : values) {
      strings.add(String.valueOf(v));
    }
    return strings;
  }

  private static Path repositoryRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.exists(dir.resolve("docker-compose.yaml")) && Files.exists(dir.resolve("extproc-app/pom.xml"))) {
        return dir;
      }
    }
    throw new IllegalStateException("docker-compose.yaml not found above " + Path.of("").toAbsolutePath());
  }
}
