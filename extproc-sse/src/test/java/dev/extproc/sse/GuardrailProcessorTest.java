package dev.extproc.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.FakeEnvoy;
import dev.extproc.testing.Headers;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GuardrailProcessorTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ScheduledExecutorService scheduler;
  private ExtProcService service;
  private FakeEnvoy envoy;

  @BeforeEach
  void start() {
    scheduler = Executors.newScheduledThreadPool(1);
    service = ExtProcService.builder(exchange -> ExchangeHandler.of(new DirectionProcessor() {},
            new GuardrailProcessor(JSON, List.of("Secret Plan"), 1 << 16)))
        .scheduler(scheduler).build();
    envoy = FakeEnvoy.forService(service, ExtProcConfig.defaults().maxInboundMessageBytes());
  }

  @AfterEach
  void stop() throws Exception {
    await().atMost(Duration.ofSeconds(10)).until(() -> service.stats().activeStreams() == 0);
    assertThat(service.stats().bytesHeld()).isZero();
    envoy.close();
    scheduler.shutdownNow();
  }

  static List<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (LlmFormat format : LlmFormat.values()) {
      for (BodySendMode mode : List.of(BodySendMode.STREAMED, BodySendMode.FULL_DUPLEX_STREAMED)) {
        for (long seed = 1; seed <= 3; seed++) {
          cases.add(Arguments.of(format, mode, seed));
        }
      }
    }
    return cases;
  }

  private ExchangeResult run(ByteString body, BodySendMode mode, long seed) {
    Random random = new Random(seed);
    int[] chunks = new int[32];
    for (int i = 0; i < chunks.length; i++) {
      chunks[i] = 1 + random.nextInt(300);
    }
    return envoy.run(Exchange.builder()
        .requestBodyMode(BodySendMode.NONE)
        .responseBodyMode(mode)
        .trailerMode(HeaderSendMode.SKIP)
        .requestHeaders(Headers.of(":method", "POST", ":path", "/v1"))
        .responseHeaders(Headers.of(":status", "200", "content-type", "text/event-stream"))
        .responseBody(BodySource.of(body))
        .chunkSizes(chunks)
        .build());
  }

  private static ByteString stream(LlmFormat format, List<String> words, int events) {
    SyntheticLlmStream stream = new SyntheticLlmStream(format, "m", events, 3, words);
    ByteString all = ByteString.EMPTY;
    while (stream.hasNext()) {
      all = all.concat(stream.nextBlock());
    }
    return all;
  }

  /** Parses a body the client got: every byte must belong to a whole event. */
  private static List<SseEvent> events(ByteString body) {
    List<SseEvent> events = new ArrayList<>();
    SseParser parser = new SseParser(1 << 20);
    parser.feed(body, events::add);
    assertThat(parser.finish().isEmpty()).as("no torn event at the end").isTrue();
    return events;
  }

  @ParameterizedTest(name = "{0} {1} seed {2}")
  @MethodSource("cases")
  void phraseSplitAcrossEvents_stopsTheStreamWithAnErrorEventInItsFormat(LlmFormat format, BodySendMode mode, long seed) {
    // "secret " + "plan" arrive in two deltas; case differs from the configured phrase.
    List<String> words = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      words.add("word" + i + " ");
    }
    words.add("the SECRET ");
    words.add("plan is ");
    ByteString body = stream(format, words, 60);

    ExchangeResult result = run(body, mode, seed);

    assertThat(result.status()).as(result.summary()).isEqualTo(200);
    List<SseEvent> got = events(result.client().body().bytes().orElseThrow());
    SseEvent last = got.get(got.size() - 1);
    if (format == LlmFormat.OPENAI_CHAT) {
      assertThat(last.data()).isEqualTo("[DONE]");
      assertThat(got.get(got.size() - 2).data()).contains("\"content_filter\"");
    } else {
      assertThat(last.type()).isEqualTo("error");
      assertThat(last.data()).contains("content_filter");
    }
    StringBuilder text = new StringBuilder();
    for (SseEvent event : got) {
      text.append(LlmContent.text(JSON, event));
    }
    assertThat(text.toString()).startsWith("word0 word1").doesNotContainIgnoringCase("secret plan").doesNotContain("word31");
    assertThat(result.dynamicMetadata()).anySatisfy(s -> assertThat(s.toString()).contains("blocked"));
  }

  @ParameterizedTest(name = "{0} {1} seed {2}")
  @MethodSource("cases")
  void cleanStream_passesThroughByteExact(LlmFormat format, BodySendMode mode, long seed) {
    ByteString body = stream(format, List.of("a secret ", "of the plan "), 200);
    ExchangeResult result = run(body, mode, seed);
    assertThat(result.status()).isEqualTo(200);
    assertThat(result.client().body().matches(BodySource.of(body))).isTrue();
  }
}
