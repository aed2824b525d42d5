package dev.extproc.processors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.extproc.testkit.EnvoyMessages.modes;
import static dev.extproc.testkit.EnvoyMessages.requestBody;
import static dev.extproc.testkit.EnvoyMessages.requestHeaders;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ForwardingDirectionProcessor;
import dev.extproc.HttpHeaders;
import dev.extproc.ProcessorFactory;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import dev.extproc.testkit.EmbeddedStream;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import io.grpc.Status;
import java.util.ArrayList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReplaceProcessorTest {
  private static final int KIB64 = 64 * 1024;

  @TempDir Path tmp;
  private final ExecutorService io = FileIo.newExecutor("test-io", 2);
  private final ScheduledExecutorService scheduler = new ScheduledThreadPoolExecutor(1);

  @AfterEach
  void stop() throws Exception {
    io.shutdownNow();
    scheduler.shutdownNow();
    assertThat(io.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  private Path file(String name, ByteString content) throws Exception {
    return Files.write(tmp.resolve(name), content.toByteArray());
  }

  /** Input size, replacement size. */
  static Stream<Arguments> sizes() {
    return Stream.of(
        Arguments.of(0, 100_000),
        Arguments.of(1, 100_000),
        Arguments.of(KIB64, KIB64),
        Arguments.of(300_000, 1_000_000),
        Arguments.of(1_000_000, 300_000),
        Arguments.of(100_000, 0),
        Arguments.of(100_000, 1));
  }

  static Stream<Arguments> modesAndSizes() {
    return Stream.of(
            "STREAMED", "FULL_DUPLEX_STREAMED/after-end", "FULL_DUPLEX_STREAMED/eager", "FULL_DUPLEX_STREAMED/paced", "BUFFERED")
        .flatMap(mode -> sizes().map(s -> Arguments.of(mode, s.get()[0], s.get()[1])));
  }

  @ParameterizedTest(name = "{0}: input {1} B, replacement {2} B")
  @MethodSource("modesAndSizes")
  void outputIsExactlyTheReplacement_whateverTheSizes(String modeAndStrategy, int inputSize, int replacementSize) throws Exception {
    String[] parts = modeAndStrategy.split("/");
    BodyMode mode = BodyMode.valueOf(parts[0]);
    DuplexReplace strategy = parts.length > 1 ? DuplexReplace.parse(parts[1]) : DuplexReplace.AFTER_END;
    ByteString requestReplacement = Bodies.body(replacementSize, 10);
    ByteString responseReplacement = Bodies.body(replacementSize / 2 + 7, 11);
    ReplaceProcessorFactory replace =
        ReplaceProcessorFactory.builder(io)
            .requestBody(file("req.bin", requestReplacement))
            .responseBody(file("resp.bin", responseReplacement))
            .duplexReplace(strategy)
            .build();
    ByteString input = Bodies.body(inputSize, 12);
    int chunk = mode == BodyMode.BUFFERED ? Integer.MAX_VALUE : 16_384;
    HttpHeaders headers = HttpHeaders.of("content-length", Integer.toString(inputSize));
    EngineExchange exchange = new EngineExchange(replace, scheduler, mode, mode);

    EngineExchange.Result up = exchange.direction(Direction.REQUEST, headers, Bodies.chunks(input, chunk));
    EngineExchange.Result down = exchange.direction(Direction.RESPONSE, headers, Bodies.chunks(requestReplacement, chunk));
    exchange.close();

    assertThat(up.responded()).isFalse();
    assertThat(up.body()).isEqualTo(requestReplacement);
    assertThat(down.body()).isEqualTo(responseReplacement);
    if (mode == BodyMode.FULL_DUPLEX_STREAMED && strategy == DuplexReplace.EAGER) {
      // Each chunk's reply carries at most max(chunk, 64 KiB) of the replacement.
      assertThat(up.replies()).allSatisfy(reply -> assertThat(reply.size()).isLessThanOrEqualTo(KIB64));
    }
    if (mode == BodyMode.STREAMED && inputSize > 0) {
      // With a content-length the replacement is spread in proportion: a chunk's reply carries its share.
      int share = (int) Math.ceil((double) replacementSize * Math.min(chunk, inputSize) / inputSize) + 1;
      assertThat(up.replies()).allSatisfy(reply -> assertThat(reply.size()).isLessThanOrEqualTo(share));
      assertThat(up.tail().size()).as("nothing left for the end").isZero();
    }
    if (mode == BodyMode.FULL_DUPLEX_STREAMED && strategy == DuplexReplace.PACED) {
      // Before the end, the output never runs ahead of the input by more than the budget.
      long in = 0;
      long out = 0;
      for (int i = 0; i < up.replies().size(); i++) {
        in += Math.min(chunk, inputSize - in);
        out += up.replies().get(i).size();
        assertThat(out).isLessThanOrEqualTo(in + ReplaceProcessorFactory.DEFAULT_PACE_BUDGET_BYTES);
      }
    }
    if (mode == BodyMode.FULL_DUPLEX_STREAMED && strategy == DuplexReplace.AFTER_END) {
      assertThat(up.replies()).allSatisfy(reply -> assertThat(reply.isEmpty()).isTrue());
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> replace.openFiles() == 0);
    assertThat(replace.errors()).isZero();
  }

  @Test
  void streamed_longerReplacement_isMostlyOutBeforeTheEnd() throws Exception {
    ByteString replacement = Bodies.body(1_000_000, 20);
    ReplaceProcessorFactory replace = ReplaceProcessorFactory.builder(io).requestBody(file("r.bin", replacement)).build();
    EngineExchange exchange = new EngineExchange(replace, scheduler, BodyMode.STREAMED, BodyMode.NONE);

    EngineExchange.Result up =
        exchange.direction(Direction.REQUEST, HttpHeaders.empty(), Bodies.chunks(Bodies.body(300_000, 21), 16_384));
    exchange.close();

    // 19 chunks x 64 KiB = 1,245,184 >= 1,000,000: nothing is left for the last reply.
    assertThat(up.tail().size()).isZero();
    assertThat(up.body()).isEqualTo(replacement);
  }

  @Test
  void streamed_largeChunks_releaseAQuarterMore_soALongerReplacementIsOutBeforeTheEnd() throws Exception {
    ByteString replacement = Bodies.body(4_700_000, 30);
    ReplaceProcessorFactory replace = ReplaceProcessorFactory.builder(io).requestBody(file("r.bin", replacement)).build();
    EngineExchange exchange = new EngineExchange(replace, scheduler, BodyMode.STREAMED, BodyMode.NONE);

    // Envoy's STREAMED chunks are often 1 MiB: 4 of them release 4 x 1.25 MiB >= 4.7 MB.
    EngineExchange.Result up =
        exchange.direction(Direction.REQUEST, HttpHeaders.empty(), Bodies.chunks(Bodies.body(4 << 20, 31), 1 << 20));
    exchange.close();

    assertThat(up.tail().size()).isZero();
    assertThat(up.replies()).allSatisfy(reply -> assertThat(reply.size()).isLessThanOrEqualTo((1 << 20) + (1 << 18)));
    assertThat(up.body()).isEqualTo(replacement);
  }

  @Test
  void fullDuplex_writesPiecesOfAtMost64KiB() throws Exception {
    ReplaceProcessorFactory replace =
        ReplaceProcessorFactory.builder(io).requestBody(file("r.bin", Bodies.body(1_000_000, 22))).build();
    EngineExchange exchange = new EngineExchange(replace, scheduler, BodyMode.FULL_DUPLEX_STREAMED, BodyMode.NONE);
    EmbeddedStream stream = exchange.stream();

    stream.send(requestHeaders(modes(BodySendMode.FULL_DUPLEX_STREAMED, BodySendMode.NONE), false));
    stream.send(requestBody(Bodies.body(5, 1), true));
    List<Integer> sizes = new ArrayList<>();
    boolean end = false;
    while (!end) {
      ProcessingResponse reply = stream.awaitReply();
      if (reply.hasRequestBody()) {
        StreamedBodyResponse streamed = reply.getRequestBody().getResponse().getBodyMutation().getStreamedResponse();
        if (!streamed.getBody().isEmpty()) {
          sizes.add(streamed.getBody().size());
        }
        end = streamed.getEndOfStream();
      }
    }
    exchange.close();

    // The engine sends what it is given in chunks of at most maxChunkBytes (64 KiB): 1,000,000 B in 16 pieces.
    assertThat(sizes).hasSize(16).allSatisfy(size -> assertThat(size).isLessThanOrEqualTo(KIB64));
    assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(1_000_000);
  }

  @Test
  void fullDuplexPaced_eachChunkReleasesAsMuchAsItBrings_theBudgetAhead_andTheRestAtTheEnd() throws Exception {
    ByteString replacement = Bodies.body(1_000_000, 23);
    ReplaceProcessorFactory replace =
        ReplaceProcessorFactory.builder(io)
            .requestBody(file("r.bin", replacement))
            .duplexReplace(DuplexReplace.PACED)
            .paceBudgetBytes(100_000)
            .build();
    EngineExchange exchange = new EngineExchange(replace, scheduler, BodyMode.FULL_DUPLEX_STREAMED, BodyMode.NONE);

    // 20 chunks of 16,384 B = 327,680 B of input.
    EngineExchange.Result up =
        exchange.direction(Direction.REQUEST, HttpHeaders.empty(), Bodies.chunks(Bodies.body(327_680, 24), 16_384));
    exchange.close();

    long out = 0;
    for (int i = 0; i < up.replies().size(); i++) {
      out += up.replies().get(i).size();
      assertThat(out).as("after chunk %d", i + 1).isEqualTo(16_384L * (i + 1) + 100_000);
    }
    assertThat(up.tail().size()).isEqualTo(1_000_000 - 327_680 - 100_000);
    assertThat(up.body()).isEqualTo(replacement);
  }

  @Test
  void fullDuplexPaced_shorterReplacement_isOutEarly_andLaterChunksAreDropped() throws Exception {
    ByteString replacement = Bodies.body(150_000, 25);
    ReplaceProcessorFactory replace =
        ReplaceProcessorFactory.builder(io)
            .requestBody(file("r.bin", replacement))
            .duplexReplace(DuplexReplace.PACED)
            .paceBudgetBytes(0)
            .build();
    EngineExchange exchange = new EngineExchange(replace, scheduler, BodyMode.FULL_DUPLEX_STREAMED, BodyMode.NONE);

    EngineExchange.Result up =
        exchange.direction(Direction.REQUEST, HttpHeaders.empty(), Bodies.chunks(Bodies.body(327_680, 26), 16_384));
    exchange.close();

    // Budget 0: the output follows the input byte for byte until the replacement is out.
    assertThat(up.replies().get(0).size()).isEqualTo(16_384);
    assertThat(up.replies().get(9).size()).isEqualTo(150_000 - 9 * 16_384);
    assertThat(up.replies().subList(10, up.replies().size())).allSatisfy(reply -> assertThat(reply.isEmpty()).isTrue());
    assertThat(up.tail().size()).isZero();
    assertThat(up.body()).isEqualTo(replacement);
  }

  @Test
  void paceBudget_mustNotBeNegative() {
    assertThatThrownBy(() -> ReplaceProcessorFactory.builder(io).paceBudgetBytes(-1))
        .hasMessage("paceBudgetBytes: -1 (expected: >= 0)");
  }

  @Test
  void streamed_replacementLargerThanOneReply_withoutContentLength_isRefusedAtHeaderTime() throws Exception {
    // Issue #9 item 5: the remainder used to fail at the end, after part of the replacement had
    // been forwarded (a started response then cut short); now the refusal comes before any body.
    ReplaceProcessorFactory replace =
        ReplaceProcessorFactory.builder(io)
            .requestBody(file("r.bin", Bodies.body(500_000, 23)))
            .maxReplyBytes(KIB64 * 2)
            .build();
    EngineExchange exchange = new EngineExchange(replace, scheduler, BodyMode.STREAMED, BodyMode.NONE);
    EngineExchange.Result up =
        exchange.direction(Direction.REQUEST, HttpHeaders.empty(), List.of(Bodies.body(10, 1)));

    assertThat(up.responded()).isTrue();
    assertThat(exchange.responses)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getStatus().getCodeValue()).isEqualTo(500);
              assertThat(r.getBody().toStringUtf8()).contains("ReplacementTooLargeException");
            });
    exchange.close();
    await().atMost(Duration.ofSeconds(5)).until(() -> replace.openFiles() == 0);
    assertThat(replace.errors()).isEqualTo(1);
  }

  @Test
  void buffered_replacementLargerThanOneReply_isA500() throws Exception {
    ReplaceProcessorFactory replace =
        ReplaceProcessorFactory.builder(io).requestBody(file("r.bin", Bodies.body(500_000, 24))).maxReplyBytes(KIB64 * 2).build();
    EngineExchange exchange = new EngineExchange(replace, scheduler, BodyMode.BUFFERED, BodyMode.NONE);

    EngineExchange.Result up =
        exchange.direction(Direction.REQUEST, HttpHeaders.empty(), List.of(Bodies.body(10, 1)));
    exchange.close();

    assertThat(up.responded()).isTrue();
    assertThat(exchange.responses).singleElement().satisfies(r -> assertThat(r.getStatus().getCodeValue()).isEqualTo(500));
  }

  @Test
  void onlyTheConfiguredDirectionIsReplaced() throws Exception {
    ByteString replacement = Bodies.body(1000, 25);
    ReplaceProcessorFactory replace = ReplaceProcessorFactory.builder(io).responseBody(file("r.bin", replacement)).build();
    ByteString input = Bodies.body(5000, 26);
    EngineExchange exchange = new EngineExchange(replace, scheduler, BodyMode.STREAMED, BodyMode.STREAMED);

    EngineExchange.Result up = exchange.direction(Direction.REQUEST, HttpHeaders.empty(), Bodies.chunks(input, 1000));
    EngineExchange.Result down = exchange.direction(Direction.RESPONSE, HttpHeaders.empty(), Bodies.chunks(input, 1000));
    exchange.close();

    assertThat(up.body()).isEqualTo(input);
    assertThat(down.body()).isEqualTo(replacement);
  }

  @Test
  void abortMidBody_closesTheFile() throws Exception {
    ReplaceProcessorFactory replace =
        ReplaceProcessorFactory.builder(io).requestBody(file("r.bin", Bodies.body(1_000_000, 27))).build();
    EngineExchange exchange = new EngineExchange(replace, scheduler, BodyMode.STREAMED, BodyMode.NONE);
    EmbeddedStream stream = exchange.stream();
    stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.NONE), false));
    stream.awaitReply();
    stream.send(requestBody(Bodies.body(10, 1), false));
    stream.awaitReply();
    assertThat(replace.openFiles()).isEqualTo(1);

    exchange.close();

    await().atMost(Duration.ofSeconds(5)).until(() -> replace.openFiles() == 0);
  }

  @Test
  void unreadableFile_isRefusedAtConfiguration() {
    assertThatThrownBy(() -> ReplaceProcessorFactory.builder(io).requestBody(tmp.resolve("missing.bin")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("request replacement")
        .hasMessageContaining("expected: a readable regular file");
    assertThatThrownBy(() -> ReplaceProcessorFactory.builder(io).build()).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void fileRemovedAfterConfiguration_isA500() throws Exception {
    Path file = file("r.bin", Bodies.body(10, 28));
    ReplaceProcessorFactory replace = ReplaceProcessorFactory.builder(io).requestBody(file).build();
    Files.delete(file);
    EngineExchange exchange = new EngineExchange(replace, scheduler, BodyMode.STREAMED, BodyMode.NONE);

    EngineExchange.Result up = exchange.direction(Direction.REQUEST, HttpHeaders.empty(), List.of(Bodies.body(10, 1)));
    exchange.close();

    assertThat(up.responded()).isTrue();
    assertThat(exchange.responses.get(0).getBody().toStringUtf8()).contains("replace failed", "request body");
    assertThat(replace.errors()).isEqualTo(1);
  }

  @Test
  void duplexStrategyNames_parse() {
    assertThat(DuplexReplace.parse("after-end")).isEqualTo(DuplexReplace.AFTER_END);
    assertThat(DuplexReplace.parse("EAGER")).isEqualTo(DuplexReplace.EAGER);
    assertThat(DuplexReplace.parse("paced")).isEqualTo(DuplexReplace.PACED);
    assertThatThrownBy(() -> DuplexReplace.parse("soon")).hasMessage("duplex replace strategy: soon (expected: after-end, eager or paced)");
  }
}
