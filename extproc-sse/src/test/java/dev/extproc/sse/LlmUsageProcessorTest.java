package dev.extproc.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
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
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LlmUsageProcessorTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ScheduledExecutorService scheduler;
  private ExtProcService service;
  private FakeEnvoy envoy;
  private final List<LlmUsage> reported = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    scheduler = Executors.newScheduledThreadPool(1);
    service = ExtProcService.builder(exchange -> ExchangeHandler.of(new DirectionProcessor() {},
            new LlmUsageProcessor(JSON, System::nanoTime, 1 << 20, 1 << 20, reported::add)))
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
      for (BodySendMode mode : List.of(BodySendMode.STREAMED, BodySendMode.FULL_DUPLEX_STREAMED, BodySendMode.BUFFERED)) {
        for (boolean trailers : List.of(false, true)) {
          cases.add(Arguments.of(format, mode, trailers));
        }
      }
    }
    return cases;
  }

  @ParameterizedTest(name = "{0} {1} trailers={2}")
  @MethodSource("cases")
  void usageReachesEnvoyAsMetadata_bodyPassesThroughUnchanged(LlmFormat format, BodySendMode mode, boolean trailers) {
    SyntheticLlmStream stream = new SyntheticLlmStream(format, "model-" + format.flag(), 300, 42);
    ByteString body = ByteString.EMPTY;
    while (stream.hasNext()) {
      body = body.concat(stream.nextBlock());
    }
    Random random = new Random(format.ordinal() * 31L + mode.getNumber());
    int[] chunks = new int[64];
    for (int i = 0; i < chunks.length; i++) {
      chunks[i] = 1 + random.nextInt(700);
    }
    Exchange.Builder exchange = Exchange.builder()
        .requestBodyMode(BodySendMode.NONE)
        .responseBodyMode(mode)
        .trailerMode(trailers ? HeaderSendMode.SEND : HeaderSendMode.SKIP)
        .requestHeaders(Headers.of(":method", "POST", ":path", "/v1/chat"))
        .responseHeaders(Headers.of(":status", "200", "content-type", "text/event-stream; charset=utf-8"))
        .responseBody(BodySource.of(body))
        .chunkSizes(chunks)
        .bufferLimit(8 << 20);
    if (trailers) {
      exchange.responseTrailers(Headers.of("x-upstream-done", "1"));
    }
    ExchangeResult result = envoy.run(exchange.build());

    assertThat(result.status()).as(result.summary()).isEqualTo(200);
    assertThat(result.client().body().matches(BodySource.of(body))).as("body unchanged").isTrue();
    Map<String, Value> llm = merged(result.dynamicMetadata()).getFieldsOrThrow(LlmUsageProcessor.NAMESPACE).getStructValue().getFieldsMap();
    assertThat(llm.get("model").getStringValue()).isEqualTo("model-" + format.flag());
    assertThat(llm.get("input_tokens").getNumberValue()).isEqualTo(42);
    assertThat(llm.get("output_tokens").getNumberValue()).isEqualTo(300);
    assertThat(llm.get("total_tokens").getNumberValue()).isEqualTo(342);
    assertThat(reported).hasSize(1);
  }

  private static Struct merged(List<Struct> all) {
    Struct.Builder merged = Struct.newBuilder();
    for (Struct struct : all) {
      merged.putAllFields(struct.getFieldsMap());
    }
    return merged.build();
  }
}
