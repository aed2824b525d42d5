package dev.extproc.sse;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LlmUsageTrackerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Feeds {@code stream} through the parser in random chunks, advancing the clock 1 ms per chunk. */
  private static LlmUsage track(ByteString stream, long seed) {
    AtomicLong clock = new AtomicLong();
    LlmUsageTracker tracker = new LlmUsageTracker(JSON, clock::get);
    SseParser parser = new SseParser(1 << 20);
    Random random = new Random(seed);
    for (int at = 0; at < stream.size(); ) {
      int size = 1 + random.nextInt(random.nextBoolean() ? 16 : 4096);
      int end = Math.min(stream.size(), at + size);
      clock.addAndGet(1_000_000);
      parser.feed(stream.substring(at, end), tracker::onEvent);
      at = end;
    }
    return tracker.usage();
  }

  private static ByteString whole(SyntheticLlmStream stream) {
    List<ByteString> blocks = new ArrayList<>();
    while (stream.hasNext()) {
      blocks.add(stream.nextBlock());
    }
    return ByteString.copyFrom(blocks);
  }

  @ParameterizedTest
  @EnumSource(LlmFormat.class)
  void syntheticStreams_anyChunking_giveTheReportedUsage(LlmFormat format) {
    long seed = Long.getLong("sse.seed", System.nanoTime());
    for (int round = 0; round < 20; round++) {
      SyntheticLlmStream stream = new SyntheticLlmStream(format, "model-x", 1 + round * 37, 11 + round);
      LlmUsage expected = stream.expectedUsage();
      LlmUsage usage = track(whole(stream), seed + round);
      assertThat(usage.model()).as("seed %d", seed).isEqualTo("model-x");
      assertThat(usage.inputTokens()).as("seed %d", seed).isEqualTo(expected.inputTokens());
      assertThat(usage.outputTokens()).as("seed %d", seed).isEqualTo(expected.outputTokens());
      assertThat(usage.totalTokens()).as("seed %d", seed).isEqualTo(expected.totalTokens());
      assertThat(usage.contentEvents()).as("seed %d", seed).isEqualTo(expected.contentEvents());
      assertThat(usage.timeToFirstTokenNanos()).isPositive();
    }
  }

  @Test
  void chatWithoutUsage_reportsUnknown_notZero() {
    String stream = "data: {\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n"
        + "data: [DONE]\n\n";
    LlmUsage usage = track(ByteString.copyFromUtf8(stream), 1);
    assertThat(usage.inputTokens()).isEqualTo(-1);
    assertThat(usage.outputTokens()).isEqualTo(-1);
    assertThat(usage.totalTokens()).isEqualTo(-1);
    assertThat(usage.toMetadata()).containsOnlyKeys("model", "time_to_first_token_ms");
  }

  @Test
  void headerValue_knownFieldsOnly_modelMadeSafeForAHeader() {
    LlmUsage usage = new LlmUsage("gpt;x=1\r\nevil é", 12, 100, 112, -1, 100, 1_500_000, -1, "boom");

    assertThat(usage.toHeaderValue())
        .isEqualTo("model=gpt_x_1__evil__; input_tokens=12; output_tokens=100; total_tokens=112; time_to_first_token_ms=1.5");
    assertThat(new LlmUsage(null, -1, -1, -1, -1, 0, -1, -1, null).toHeaderValue()).isEmpty();
  }

  @Test
  void crlfFraming_noSpaceAfterColon_andAMidStreamError() {
    String stream = "data:{\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\r\n\r\n"
        + "data: {\"error\":{\"type\":\"server_error\",\"message\":\"boom\"}}\r\n\r\n";
    LlmUsage usage = track(ByteString.copyFromUtf8(stream), 2);
    assertThat(usage.contentEvents()).isEqualTo(1);
    assertThat(usage.error()).isEqualTo("server_error");
  }

  @Test
  void responses_largeCompletedEventSplitInManyChunks_stillCounted() {
    String text = "w".repeat(150_000);
    String stream = "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"w\"}\n\n"
        + "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"model\":\"gpt-x\","
        + "\"output\":[{\"content\":[{\"text\":\"" + text + "\"}]}],\"usage\":{\"input_tokens\":5,\"output_tokens\":7,"
        + "\"total_tokens\":12,\"input_tokens_details\":{\"cached_tokens\":2}}}}\n\n";
    LlmUsage usage = track(ByteString.copyFrom(stream, StandardCharsets.UTF_8), 3);
    assertThat(usage.model()).isEqualTo("gpt-x");
    assertThat(usage.totalTokens()).isEqualTo(12);
    assertThat(usage.cachedInputTokens()).isEqualTo(2);
  }

  @Test
  void responsesFailedWithNullUsage_andIncomplete() {
    LlmUsage failed = track(ByteString.copyFromUtf8("event: response.failed\ndata: {\"type\":\"response.failed\","
        + "\"response\":{\"model\":\"m\",\"usage\":null,\"error\":{\"code\":\"server_error\"}}}\n\n"), 4);
    assertThat(failed.outputTokens()).isEqualTo(-1);
    assertThat(failed.error()).isEqualTo("server_error");
    LlmUsage incomplete = track(ByteString.copyFromUtf8("event: response.incomplete\ndata: {\"type\":\"response.incomplete\","
        + "\"response\":{\"model\":\"m\",\"usage\":{\"input_tokens\":3,\"output_tokens\":4,\"total_tokens\":7}}}\n\n"), 5);
    assertThat(incomplete.totalTokens()).isEqualTo(7);
  }

  @Test
  void anthropic_cumulativeOutput_replacedNotAdded_cacheTokensInInput_unknownEventsSkipped() {
    String stream = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-x\",\"usage\":"
        + "{\"input_tokens\":10,\"cache_creation_input_tokens\":3,\"cache_read_input_tokens\":20,\"output_tokens\":1}}}\n\n"
        + "event: ping\ndata: {\"type\":\"ping\"}\n\n"
        + "event: brand_new_event\ndata: {\"type\":\"brand_new_event\"}\n\n"
        + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}\n\n"
        + "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":5}}\n\n"
        + "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":9}}\n\n"
        + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    LlmUsage usage = track(ByteString.copyFromUtf8(stream), 6);
    assertThat(usage.inputTokens()).isEqualTo(33);
    assertThat(usage.cachedInputTokens()).isEqualTo(20);
    assertThat(usage.outputTokens()).isEqualTo(9);
    assertThat(usage.totalTokens()).isEqualTo(42);
  }

  @Test
  void anthropic_errorEvent() {
    LlmUsage usage = track(ByteString.copyFromUtf8("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
        + "\"message\":\"Overloaded\"}}\n\n"), 7);
    assertThat(usage.error()).isEqualTo("overloaded_error");
  }

  @Test
  void malformedJson_isCounted_andUsageStaysAsKnown() {
    LlmUsageTracker tracker = new LlmUsageTracker(JSON, System::nanoTime);
    SseParser parser = new SseParser(1 << 16);
    parser.feed(ByteString.copyFromUtf8("data: {not json\n\ndata: {\"object\":\"chat.completion.chunk\",\"choices\":[],"
        + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}\n\n"), tracker::onEvent);
    assertThat(tracker.malformedEvents()).isEqualTo(1);
    assertThat(tracker.usage().totalTokens()).isEqualTo(3);
  }

  @Test
  void nonStreamingBodies_ofEachFormat() {
    LlmUsageTracker chat = new LlmUsageTracker(JSON, System::nanoTime);
    chat.onJsonBody("{\"object\":\"chat.completion\",\"model\":\"m1\",\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":6,\"total_tokens\":10}}");
    assertThat(chat.usage().totalTokens()).isEqualTo(10);
    LlmUsageTracker responses = new LlmUsageTracker(JSON, System::nanoTime);
    responses.onJsonBody("{\"object\":\"response\",\"model\":\"m2\",\"usage\":{\"input_tokens\":1,\"output_tokens\":2,\"total_tokens\":3}}");
    assertThat(responses.usage().outputTokens()).isEqualTo(2);
    LlmUsageTracker anthropic = new LlmUsageTracker(JSON, System::nanoTime);
    anthropic.onJsonBody("{\"type\":\"message\",\"model\":\"m3\",\"usage\":{\"input_tokens\":7,\"output_tokens\":8}}");
    assertThat(anthropic.usage().totalTokens()).isEqualTo(15);
    assertThat(anthropic.usage().model()).isEqualTo("m3");
  }
}
