package dev.extproc.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JfrSummaryTest {

  @Test
  void readsPeakHeapAfterGcAndAllocationSites(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("test.jfr");
    try (Recording recording = new Recording()) {
      recording.enable("jdk.GCHeapSummary");
      recording.enable("jdk.ObjectAllocationSample").with("throttle", "10000/s");
      recording.start();
      long sink = 0;
      for (int i = 0; i < 2000; i++) {
        sink += allocate().length;
      }
      System.gc();
      recording.stop();
      recording.dump(file);
      assertThat(sink).isPositive();
    }

    JfrSummary summary = JfrSummary.read(file, 5);

    assertThat(summary.gcCount()).isPositive();
    assertThat(summary.peakHeapAfterGcBytes()).isPositive();
    assertThat(summary.allocationSamples()).isPositive();
    assertThat(summary.topSites()).isNotEmpty().hasSizeLessThanOrEqualTo(5);
    assertThat(summary.topSites()).anySatisfy(site -> assertThat(site.frames()).contains("JfrSummaryTest.allocate"));
    assertThat(summary.describeTopSites().get(0)).contains(" MiB (").contains(" at ");
  }

  private static byte[] allocate() {
    return new byte[64 * 1024];
  }
}
