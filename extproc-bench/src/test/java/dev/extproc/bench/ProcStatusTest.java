package dev.extproc.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcStatusTest {

  @Test
  void ownProcess_hasPlausibleRssAndPeak() throws IOException {
    ProcStatus status = ProcStatus.read(ProcessHandle.current().pid()).orElseThrow();

    assertThat(status.rssBytes()).isGreaterThan(10L * 1024 * 1024);
    assertThat(status.peakRssBytes()).isGreaterThanOrEqualTo(status.rssBytes());
  }

  @Test
  void parsesKibibyteLines() throws IOException {
    ProcStatus status = ProcStatus.parse("Name:\tenvoy\nVmHWM:\t  2048 kB\nVmRSS:\t    1024 kB\nThreads:\t5\n", "test");

    assertThat(status).isEqualTo(new ProcStatus(1024L * 1024, 2048L * 1024));
  }

  @Test
  void missingProcess_isEmpty(@TempDir Path dir) throws IOException {
    assertThat(ProcStatus.read(dir.resolve("status"))).isEmpty();
  }

  @Test
  void zombieWithoutVmLines_failsClearly() {
    assertThatThrownBy(() -> ProcStatus.parse("Name:\tx\nState:\tZ (zombie)\n", "/proc/1/status"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("/proc/1/status: no VmRSS/VmHWM lines");
  }
}
