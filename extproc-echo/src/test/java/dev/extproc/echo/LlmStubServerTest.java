package dev.extproc.echo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.extproc.sse.LlmFormat;
import dev.extproc.sse.LlmUsage;
import dev.extproc.sse.LlmUsageTracker;
import dev.extproc.sse.SseParser;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LlmStubServerTest {
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static LlmUsage post(int port) throws Exception {
    return post(port, "/v1/anything");
  }

  private static LlmUsage post(int port, String path) throws Exception {
    HttpResponse<InputStream> response = CLIENT.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString("{\"stream\":true}")).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
    LlmUsageTracker tracker = new LlmUsageTracker(new ObjectMapper(), System::nanoTime);
    SseParser parser = new SseParser(1 << 16);
    try (InputStream body = response.body()) {
      byte[] buffer = new byte[8192];
      for (int n; (n = body.read(buffer)) > 0; ) {
        parser.feed(ByteString.copyFrom(buffer, 0, n), tracker::onEvent);
      }
    }
    assertThat(parser.finish().isEmpty()).as("the stream ends on a whole event").isTrue();
    return tracker.usage();
  }

  @ParameterizedTest
  @EnumSource(LlmFormat.class)
  void answersAnyPostWithTheStream_usageAtTheEnd(LlmFormat format) throws Exception {
    try (LlmStubServer stub = new LlmStubServer("127.0.0.1", 0,
        new LlmStubServer.Settings(format, 5_000, 0, "stub-model", 17))) {
      int port = stub.start();
      for (int request = 0; request < 2; request++) { // keep-alive: the connection serves the next request
        LlmUsage usage = post(port);
        assertThat(usage.model()).isEqualTo("stub-model");
        assertThat(usage.inputTokens()).isEqualTo(17);
        assertThat(usage.outputTokens()).isEqualTo(5_000);
        assertThat(usage.contentEvents()).isEqualTo(5_000);
      }
    }
  }

  @Test
  void queryParameters_setOneAnswersEventsAndRate_badOnesAre400() throws Exception {
    try (LlmStubServer stub = new LlmStubServer("127.0.0.1", 0,
        new LlmStubServer.Settings(LlmFormat.OPENAI_CHAT, 10_000, 1, "m", 1))) {
      int port = stub.start();
      LlmUsage usage = post(port, "/v1/chat/completions?events=30&rate=1000");
      assertThat(usage.outputTokens()).isEqualTo(30);
      assertThat(usage.meanInterTokenNanos()).as("paced by the query, not the settings' 1 per second")
          .isLessThan(Duration.ofMillis(500).toNanos());
      for (String query : new String[] {"events=-1", "events=x", "rate=-2", "rate=Infinity"}) {
        HttpResponse<String> bad = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1?" + query))
            .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).as(query).isEqualTo(400);
        assertThat(bad.body()).as(query).contains("expected: events=N");
      }
    }
  }

  @Test
  void pacedStream_takesAtLeastItsEventsOverItsRate() throws Exception {
    try (LlmStubServer stub = new LlmStubServer("127.0.0.1", 0,
        new LlmStubServer.Settings(LlmFormat.OPENAI_CHAT, 20, 100, "m", 1))) {
      int port = stub.start();
      long start = System.nanoTime();
      LlmUsage usage = post(port);
      long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
      assertThat(usage.outputTokens()).isEqualTo(20);
      // 23 blocks at 100/s: the first is due at once, so at least 22 intervals of 10 ms.
      assertThat(elapsedMillis).isGreaterThanOrEqualTo(200);
      assertThat(usage.meanInterTokenNanos()).isGreaterThan(5_000_000);
    }
  }
}
