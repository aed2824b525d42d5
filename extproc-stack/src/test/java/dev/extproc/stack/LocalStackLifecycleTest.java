package dev.extproc.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The child-process side of {@link LocalStack}: Java children started from a class path and main
 * class, ready files, health, the ext_proc server's stop/kill/restart, and nothing left after close.
 * Uses {@link StubChildMain} in place of ExtProcMain (which lives in extproc-app).
 */
@Timeout(180)
class LocalStackLifecycleTest {

  @TempDir Path dir;

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void stack_startsChildrenFromTheirReadyFiles_andRoutesTheBaselineToTheEcho() throws Exception {
    try (LocalStack stack = stubStack().build()) {
      assertThat(stack.echoPid()).isPresent();
      assertThat(stack.extProcPid()).isPresent();
      assertThat(stack.extProcAdmin().isHealthy()).isTrue();
      assertThat(stack.extProcAdmin().stats()).containsEntry("active_streams", 0L);

      HttpResponse<String> response = client.send(
          HttpRequest.newBuilder(stack.baselineUri().resolve("/buffered")).POST(HttpRequest.BodyPublishers.ofString("ping")).build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("ping");
    }
  }

  @Test
  void killedExtProcServer_comesBackOnTheSamePorts() throws Exception {
    try (LocalStack stack = stubStack().build()) {
      StackPorts before = stack.ports();
      long firstPid = stack.extProcPid().orElseThrow();

      stack.killExtProcServer();

      assertThat(stack.extProcPid()).isEmpty();
      assertThat(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
      assertThat(stack.extProcAdmin().isHealthy()).isFalse();

      stack.startExtProcServer();

      assertThat(stack.extProcPid()).isPresent().isNotEqualTo(java.util.OptionalLong.of(firstPid));
      assertThat(stack.ports()).isEqualTo(before);
      assertThat(stack.extProcAdmin().isHealthy()).isTrue();
    }
  }

  @Test
  void restartExtProcServer_stopsGracefullyThenStartsAgain() {
    try (LocalStack stack = stubStack().build()) {
      long firstPid = stack.extProcPid().orElseThrow();

      stack.restartExtProcServer();

      assertThat(stack.extProcPid().orElseThrow()).isNotEqualTo(firstPid);
      assertThat(stack.extProcAdmin().isHealthy()).isTrue();
    }
  }

  @Test
  void close_leavesNoProcessBehind() {
    long envoy;
    long echo;
    long server;
    try (LocalStack stack = stubStack().build()) {
      envoy = stack.envoyPid();
      echo = stack.echoPid().orElseThrow();
      server = stack.extProcPid().orElseThrow();
    }
    for (long pid : List.of(envoy, echo, server)) {
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid " + pid).isFalse();
    }
  }

  @Test
  void childThatCannotStart_failsTheBuildWithItsLog_andStopsTheOthers() throws Exception {
    Path workDir = dir.resolve("failing");
    assertThatThrownBy(() -> stubStack().workDir(workDir).mainClass("dev.extproc.stack.NoSuchMain").build())
        .isInstanceOf(ProcessFailedException.class)
        .hasMessageContaining("exited with code 1")
        .hasMessageContaining("NoSuchMain");
    assertThat(Files.readString(workDir.resolve("echo.log"))).contains("NoSuchMain");
  }

  private LocalStack.Builder stubStack() {
    return LocalStack.builder()
        .workDir(dir.resolve("stack-" + System.nanoTime()))
        .mainClass(StubChildMain.class.getName())
        .echoJvmOptions(List.of("-Xmx64m", "-XX:TieredStopAtLevel=1"))
        .serverJvmOptions(List.of("-Xmx64m", "-XX:TieredStopAtLevel=1"))
        .envoyConcurrency(1)
        .extProcStopGrace(Duration.ofSeconds(5));
  }
}
