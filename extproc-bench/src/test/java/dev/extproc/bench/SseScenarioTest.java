package dev.extproc.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.extproc.sse.SyntheticLlmStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SseScenarioTest {
  @TempDir Path media;

  @Test
  void plans_fullSpeedAndPaced_perConcurrency_expectingTheStubsStream() throws Exception {
    BenchOptions options = new BenchOptions("sse", Route.DEFAULTS, null, List.of(3, 7), media, Duration.ofSeconds(1),
        Duration.ofMinutes(1), false, List.of("--max-pending-output-bytes", "256KiB"));

    List<ScenarioPlan> plans = Scenarios.plans(options);

    assertThat(plans).extracting(ScenarioPlan::key)
        .containsExactly("sse-full-speed-c3", "sse-paced-c3", "sse-full-speed-c7", "sse-paced-c7");
    assertThat(plans.get(0).routes()).containsExactly(Route.LLM, Route.LLM_BASELINE);
    assertThat(plans.get(1).routes()).containsExactly(Route.LLM_PACED, Route.LLM_PACED_BASELINE);
    assertThat(plans.get(0).processorArgs()).containsExactly("--processor", "mode-select,llm-usage",
        "--mode-override-allowed", "--max-pending-output-bytes", "256KiB");
    assertThat(plans.get(0).expectedExtProc().length()).isEqualTo(streamLength(SseScenario.EVENTS));
    assertThat(plans.get(1).expectedBaseline().length()).isEqualTo(streamLength(SseScenario.PACED_EVENTS));
    assertThat(Files.readString(plans.get(0).bodyFile())).contains("\"stream\":true");
    assertThat(Route.LLM_PACED.path()).contains("events=" + SseScenario.PACED_EVENTS);
    assertThat(List.of(Route.LLM, Route.LLM_BASELINE, Route.LLM_PACED, Route.LLM_PACED_BASELINE))
        .allMatch(SseScenario::servesLlm);
    assertThat(SseScenario.servesLlm(Route.STREAMED)).isFalse();
  }

  @Test
  void figures_ttfbAndEventsPerSecond() throws Exception {
    UploadRun run = new UploadRun(List.of(
        new UploadResult(0, 200, 2_000_000_000L, 10_000_000L, 10, 100, true, null),
        new UploadResult(1, 200, 2_000_000_000L, 30_000_000L, 10, 100, true, null)), 2_000_000_000L);

    String text = Files.readString(SseScenario.writeFigures(media, Route.LLM_PACED, run,
        java.util.Map.of("envoy", 1_000L, "ext_proc", 500L), java.util.Map.of("envoy", 1_250L, "ext_proc", 900L)));

    assertThat(text).contains("streams 2 verified of 2").contains("ttfb_p50_ms 10.0").contains("ttfb_p99_ms 30.0")
        .contains("events_per_s " + SseScenario.PACED_EVENTS) // 2 streams x 500 events in 2 s
        .contains("envoy_cpu_ms 250").contains("envoy_cpu_ms_per_100k_events 25000").contains("ext_proc_cpu_ms 400");
  }

  @Test
  void processCpu_ofThisJvm_isReadable_ofNoProcess_isEmpty() {
    assertThat(ProcessCpu.millis(ProcessHandle.current().pid())).isPresent();
    assertThat(ProcessCpu.millis(Long.MAX_VALUE)).isEmpty();
  }

  private static long streamLength(int events) {
    SyntheticLlmStream stream = new SyntheticLlmStream(SseScenario.FORMAT, "stub-model", events, 12);
    long length = 0;
    while (stream.hasNext()) {
      ByteString block = stream.nextBlock();
      length += block.size();
    }
    return length;
  }
}
