package dev.extproc.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class ManagedProcessTest {

  @TempDir Path dir;

  @Test
  void readyCondition_isAwaitedThenCloseStopsTheProcess() {
    ManagedProcess process;
    try (ManagedProcess p = sh("echo started; exec sleep 120")) {
      process = p;
      p.awaitCondition("'started' in the log", () -> p.logTail(5).contains("started"), Duration.ofSeconds(10));
      assertThat(p.isAlive()).isTrue();
    }
    assertThat(process.isAlive()).isFalse();
    assertThat(ProcessHandle.of(process.pid()).map(ProcessHandle::isAlive)).isNotEqualTo(Optional.of(true));
  }

  @Test
  void readyFile_isReadOnceWritten() throws Exception {
    Path ready = dir.resolve("x.ready");
    try (ManagedProcess p = sh("printf 'http.port=1234\\npid=1\\n' > " + ready + ".tmp && mv " + ready + ".tmp " + ready
        + "; exec sleep 120")) {
      java.util.Properties properties = p.awaitReady("ready file", () -> ReadyFile.read(ready), Duration.ofSeconds(10));
      assertThat(ReadyFile.intProperty(properties, "http.port", ready)).isEqualTo(1234);
    }
  }

  @Test
  void processThatDiesWhileAwaited_failsAtOnceWithItsLog() {
    try (ManagedProcess p = sh("echo 'fatal: port in use'; exit 3")) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> p.awaitCondition("never", () -> false, Duration.ofSeconds(30)))
          .isInstanceOf(ProcessFailedException.class)
          .hasMessageContaining("exited with code 3")
          .hasMessageContaining("fatal: port in use");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
  }

  @Test
  void conditionThatNeverHolds_timesOutWithWhatWasAwaitedAndTheLog() {
    try (ManagedProcess p = sh("echo 'still booting'; exec sleep 120")) {
      assertThatThrownBy(() -> p.awaitCondition("the moon", () -> false, Duration.ofMillis(300)))
          .isInstanceOf(ProcessFailedException.class)
          .hasMessageContaining("not ready after PT0.3S")
          .hasMessageContaining("the moon")
          .hasMessageContaining("still booting");
    }
  }

  @Test
  void processIgnoringSigterm_isKilledAfterTheGracePeriod() {
    try (ManagedProcess p = sh("trap '' TERM; echo trapped; while true; do sleep 1; done")) {
      p.awaitCondition("trap installed", () -> p.logTail(5).contains("trapped"), Duration.ofSeconds(10));

      int code = p.stop(Duration.ofMillis(300));

      assertThat(code).isEqualTo(137);
      assertThat(p.isAlive()).isFalse();
    }
  }

  @Test
  void descendantsOfTheProcess_areStoppedToo() {
    Path childPid = dir.resolve("child.pid");
    ManagedProcess p = sh("sleep 120 & echo $! > " + childPid + "; wait");
    long child = p.awaitReady("child pid", () -> readPid(childPid), Duration.ofSeconds(10));
    assertThat(ProcessHandle.of(child)).isPresent();

    p.close();

    assertThat(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false)).isFalse();
  }

  @Test
  void kill_endsTheProcessAtOnce() {
    try (ManagedProcess p = sh("trap '' TERM; exec sleep 120")) {
      assertThat(p.kill()).isEqualTo(137);
      assertThat(p.exitCode()).contains(137);
    }
  }

  @Test
  void logTail_returnsTheLastLines() {
    try (ManagedProcess p = sh("for i in 1 2 3 4 5; do echo line$i; done")) {
      assertThat(p.awaitExit(Duration.ofSeconds(10))).isZero();
      assertThat(p.logTail(2)).isEqualTo("line4\nline5");
    }
  }

  private ManagedProcess sh(String script) {
    return ManagedProcess.start("sh", List.of("sh", "-c", script), dir.resolve("sh.log"));
  }

  private static Optional<Long> readPid(Path file) {
    try {
      String text = Files.exists(file) ? Files.readString(file).strip() : "";
      return text.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(text));
    } catch (java.io.IOException e) {
      return Optional.empty();
    }
  }
}
