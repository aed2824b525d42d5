package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code extproc demo} end to end: real Envoy, echo backend and ext_proc server as child processes. */
@Timeout(180)
class DemoCommandTest {

  @TempDir Path logDir;

  @Test
  void demoOnEphemeralPorts_passesEveryCheck_andLeavesNoProcess() {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    DemoCommand demo = new DemoCommand(new PrintStream(captured, true, StandardCharsets.UTF_8));
    int code = new picocli.CommandLine(demo).execute("--ephemeral-ports", "--log-dir", logDir.toString(), "--no-bench");
    String output = captured.toString(StandardCharsets.UTF_8);

    assertThat(code).as(output).isZero();
    assertThat(output).contains("demo: every check passed");
    for (String route : RouteChecks.ROUTES) {
      assertThat(output).containsPattern("ext_proc +" + route + " +200 +1048576 +1048576 +yes");
    }
    assertThat(output).containsPattern("baseline +/streamed +200 +1048576 +1048576 +yes");
    // Envoy's and the server's streams_started agree: both count the checks alone, the warm-ups explained.
    int routes = RouteChecks.ROUTES.size();
    assertThat(output).contains("Envoy ext_proc filter (http.ingress.ext_proc.*): streams_started=" + routes + " ")
        .contains("ext_proc server /stats, the checks alone: streams_started=" + routes + " ")
        .contains("its /stats shows streams_started=" + 2 * routes + ", warm-ups included");
    assertThat(demo.lastStackPids()).isNotEmpty().allSatisfy(pid ->
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid " + pid).isFalse());
  }
}
