package dev.extproc.app.sse;

import static dev.extproc.app.sse.LlmUsageE2eTest.INPUT_TOKENS;
import static dev.extproc.app.sse.LlmUsageE2eTest.LINE;
import static dev.extproc.app.sse.LlmUsageE2eTest.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.ExtProcConfig;
import dev.extproc.app.LlmUsageTestAccess;
import dev.extproc.echo.LlmStubServer;
import dev.extproc.sse.LlmFormat;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stream far longer than any LLM answer — 6 million events at full speed (about 1 GiB; half an
 * hour of tokens at 50 per second is 90,000 events) — through a real Envoy in FULL_DUPLEX_STREAMED
 * with usage accounting: the engine never holds more than a few chunks, the server's heap after
 * the stream is where it was before it, and the usage is exact. CI runs this size (about 3 minutes
 * on a shared 2-core machine); {@code -Dextproc.longStreamEvents=1500000} runs 256 MiB
 * (docs/sse.md has the figures).
 */
class LongStreamE2eTest {
  /** About 180 bytes per synthetic chat event: 1,500,000 events ≈ 256 MiB, 6,000,000 ≈ 1 GiB. */
  private static final int EVENTS = Integer.getInteger("extproc.longStreamEvents", 6_000_000);

  @TempDir Path dir;

  @Test
  void longStreamAtFullSpeed_boundedMemory_exactUsage() throws Exception {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    try (LlmStubServer stub = new LlmStubServer("127.0.0.1", 0,
        new LlmStubServer.Settings(LlmFormat.OPENAI_CHAT, EVENTS, 0, MODEL, INPUT_TOKENS));
        EnvoyFixture envoy = new EnvoyFixture(dir, "llm-envoy.yaml", LlmUsageTestAccess.factory(), ExtProcConfig.defaults(),
            stub.start())) {
      System.gc();
      long heapBefore = memory.getHeapMemoryUsage().getUsed();

      long bytes = LlmUsageE2eTest.postCounting(envoy.listenerPort, "/full-duplex/openai-chat");

      assertThat(bytes).isGreaterThan(EVENTS * 150L);
      System.out.printf("long stream: %d events, %d bytes through Envoy; engine peak held %d bytes%n", EVENTS, bytes,
          envoy.service.stats().peakBytesHeldPerStream());
      Matcher line = envoy.awaitAccessLog("/full-duplex/openai-chat", LINE);
      assertThat(Double.parseDouble(line.group(5))).isEqualTo(EVENTS);
      assertThat(envoy.service.stats().peakBytesHeldPerStream())
          .as("the engine holds a few chunks, not the stream")
          .isLessThanOrEqualTo(ExtProcConfig.defaults().maxBytesHeldPerStream())
          .isLessThan(4L * 1024 * 1024);
      System.gc();
      long heapAfter = memory.getHeapMemoryUsage().getUsed();
      assertThat(heapAfter - heapBefore).as("heap growth after %d bytes (before %d, after %d)", bytes, heapBefore, heapAfter)
          .isLessThan(64L * 1024 * 1024);
    }
  }
}
