package dev.extproc.processors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.extproc.Direction;
import dev.extproc.ExchangeProcessor;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.MessageContext;
import dev.extproc.Processing;
import dev.extproc.ProcessorChain;
import dev.extproc.ProcessorFactory;
import dev.extproc.processors.media.TestMedia;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.FakeEnvoy;
import dev.extproc.testing.RawStream;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** capture,replace (the seed's setup) and delay through the real engine, driven by FakeEnvoy in every body mode. */
@Timeout(120)
class SeedProcessorsFakeEnvoyTest {
  @TempDir Path tmp;
  private final ExecutorService io = FileIo.newExecutor("test-io", 2);
  private final ScheduledExecutorService scheduler = new ScheduledThreadPoolExecutor(1);

  @AfterEach
  void stop() throws Exception {
    io.shutdownNow();
    scheduler.shutdownNow();
    assertThat(io.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  private FakeEnvoy envoy(ProcessorFactory factory) {
    ExtProcService service =
        ExtProcService.builder(factory).config(ExtProcConfig.defaults()).scheduler(scheduler).build();
    return FakeEnvoy.forService(service, service.config().maxInboundMessageBytes()).timeout(Duration.ofSeconds(60));
  }

  private static Exchange.Builder modes(String mode) {
    Exchange.Builder builder = Exchange.builder().bodyMode(BodySendMode.valueOf(mode));
    if (mode.equals("FULL_DUPLEX_STREAMED")) {
      builder.trailerMode(HeaderSendMode.SEND);
    }
    if (mode.equals("BUFFERED")) {
      builder.bufferLimit(8 * 1024 * 1024);
    }
    return builder;
  }

  static Stream<Arguments> cases() {
    List<String> modes =
        List.of("STREAMED", "FULL_DUPLEX_STREAMED/after-end", "FULL_DUPLEX_STREAMED/eager", "FULL_DUPLEX_STREAMED/paced", "BUFFERED");
    // input, request replacement, response replacement
    List<int[]> sizes =
        List.of(
            new int[] {0, 100_000, 50_000},
            new int[] {1, 1, 1},
            new int[] {65_536, 65_536, 65_536},
            new int[] {300_000, 1_500_000, 200_000},
            new int[] {1_500_000, 300_000, 700_000});
    return modes.stream().flatMap(m -> sizes.stream().map(s -> Arguments.of(m, s[0], s[1], s[2])));
  }

  @ParameterizedTest(name = "{0}: input {1} B, request replacement {2} B, response replacement {3} B")
  @MethodSource("cases")
  void captureThenReplace_upstreamGetsTheRequestReplacement_clientTheResponseReplacement_capturesHoldWhatWasSeen(
      String modeAndStrategy, int inputSize, int requestSize, int responseSize) throws Exception {
    String[] parts = modeAndStrategy.split("/");
    Path input = TestMedia.ensure(tmp.resolve("input.bin"), inputSize, 1).path();
    Path requestReplacement = TestMedia.ensure(tmp.resolve("request.bin"), requestSize, 2).path();
    Path responseReplacement = TestMedia.ensure(tmp.resolve("response.bin"), responseSize, 3).path();
    CaptureProcessorFactory capture = CaptureProcessorFactory.create(tmp.resolve("captures"), io);
    ReplaceProcessorFactory replace =
        ReplaceProcessorFactory.builder(io)
            .requestBody(requestReplacement)
            .responseBody(responseReplacement)
            .duplexReplace(parts.length > 1 ? DuplexReplace.parse(parts[1]) : DuplexReplace.AFTER_END)
            .build();

    ExchangeResult result;
    try (FakeEnvoy envoy = envoy(ProcessorChain.factory(List.of(capture, replace)))) {
      result = envoy.run(modes(parts[0]).requestBody(BodySource.ofFile(input)).echoRequestBody().build());
    }

    assertThat(result.status()).as(result.summary()).isEqualTo(200);
    assertThat(result.upstream().body().matches(BodySource.ofFile(requestReplacement))).as(result.summary()).isTrue();
    assertThat(result.client().body().matches(BodySource.ofFile(responseReplacement))).as(result.summary()).isTrue();
    List<Path> files;
    try (Stream<Path> list = Files.list(capture.dir())) {
      files = list.sorted().toList();
    }
    assertThat(files).hasSize(2);
    Path requestCapture = files.stream().filter(p -> p.toString().endsWith(".request.body")).findFirst().orElseThrow();
    Path responseCapture = files.stream().filter(p -> p.toString().endsWith(".response.body")).findFirst().orElseThrow();
    assertThat(TestMedia.sha256(requestCapture)).isEqualTo(TestMedia.sha256(input));
    assertThat(TestMedia.sha256(responseCapture)).isEqualTo(TestMedia.sha256(requestReplacement));
    await().atMost(Duration.ofSeconds(5)).until(() -> capture.openFiles() == 0 && replace.openFiles() == 0);
    assertThat(capture.errors() + replace.errors()).isZero();
  }

  /**
   * Counts one direction's bytes at two points of a chain: what enters replace and what leaves it,
   * and the largest lead of the output over the input seen before the input ended.
   */
  private static final class PaceMeter {
    final AtomicLong input = new AtomicLong();
    final AtomicLong output = new AtomicLong();
    final AtomicLong outputBeforeEnd = new AtomicLong();
    final AtomicLong maxLead = new AtomicLong(Long.MIN_VALUE);
    volatile boolean inputEnded;

    /** Placed before replace: counts the input, passes it through, notes its end. */
    ProcessorFactory in() {
      return exchange ->
          new ExchangeProcessor() {
            @Override
            public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
              if (ctx.direction() == Direction.REQUEST) {
                input.addAndGet(chunk.size());
              }
              return ctx.write(chunk);
            }

            @Override
            public CompletionStage<Void> onEnd(MessageContext ctx) {
              if (ctx.direction() == Direction.REQUEST) {
                inputEnded = true;
              }
              return Processing.done();
            }
          };
    }

    /** Placed after replace: counts its output and the lead over the input while the input lasts. */
    ProcessorFactory out() {
      return exchange ->
          new ExchangeProcessor() {
            @Override
            public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
              if (ctx.direction() == Direction.REQUEST) {
                long written = output.addAndGet(chunk.size());
                if (!inputEnded) {
                  outputBeforeEnd.set(written);
                  maxLead.accumulateAndGet(written - input.get(), Math::max);
                }
              }
              return ctx.write(chunk);
            }
          };
    }
  }

  @Test
  void fullDuplexPaced_theReplacementWrittenBeforeTheEnd_neverExceedsTheInputSeenPlusTheBudget() throws Exception {
    int budget = 100_000;
    BodySource input = BodySource.random(600_000, 40);
    Path requestReplacement = TestMedia.ensure(tmp.resolve("request.bin"), 1_500_000, 41).path();
    ReplaceProcessorFactory replace =
        ReplaceProcessorFactory.builder(io)
            .requestBody(requestReplacement)
            .duplexReplace(DuplexReplace.PACED)
            .paceBudgetBytes(budget)
            .build();
    PaceMeter meter = new PaceMeter();

    ExchangeResult result;
    try (FakeEnvoy envoy = envoy(ProcessorChain.factory(List.of(meter.in(), replace, meter.out())))) {
      result = envoy.run(modes("FULL_DUPLEX_STREAMED").requestBody(input).echoRequestBody().build());
    }

    assertThat(result.status()).as(result.summary()).isEqualTo(200);
    assertThat(result.upstream().body().matches(BodySource.ofFile(requestReplacement))).as(result.summary()).isTrue();
    assertThat(meter.input.get()).isEqualTo(600_000);
    assertThat(meter.output.get()).isEqualTo(1_500_000);
    // Each chunk releases exactly its size, so the lead is the budget, never more.
    assertThat(meter.maxLead.get()).isEqualTo(budget);
    assertThat(meter.outputBeforeEnd.get()).isEqualTo(600_000 + budget);
    await().atMost(Duration.ofSeconds(5)).until(() -> replace.openFiles() == 0);
    assertThat(replace.errors()).isZero();
  }

  private static ProcessingRequest requestHeaders() {
    return ProcessingRequest.newBuilder()
        .setRequestHeaders(
            HttpHeaders.newBuilder()
                .setHeaders(
                    HeaderMap.newBuilder()
                        .addHeaders(HeaderValue.newBuilder().setKey(":method").setRawValue(ByteString.copyFromUtf8("POST")))
                        .addHeaders(HeaderValue.newBuilder().setKey(":path").setRawValue(ByteString.copyFromUtf8("/"))))
                .setEndOfStream(false))
        .build();
  }

  private static ProcessingRequest requestBody(ByteString chunk) {
    return ProcessingRequest.newBuilder().setRequestBody(HttpBody.newBuilder().setBody(chunk).setEndOfStream(false)).build();
  }

  @Test
  void abortMidBody_leavesNoCompleteFile_andNoOpenFile() throws Exception {
    CaptureProcessorFactory capture = CaptureProcessorFactory.create(tmp.resolve("captures"), io);
    ReplaceProcessorFactory replace =
        ReplaceProcessorFactory.builder(io).requestBody(TestMedia.ensure(tmp.resolve("r.bin"), 1_000_000, 2).path()).build();

    try (FakeEnvoy envoy = envoy(ProcessorChain.factory(List.of(capture, replace)))) {
      try (RawStream raw = envoy.openRaw()) {
        raw.send(requestHeaders());
        raw.nextReply();
        raw.send(requestBody(Bodies.body(40_000, 5)));
        raw.nextReply();
        assertThat(capture.openFiles()).isEqualTo(1);
        assertThat(replace.openFiles()).isEqualTo(1);
        raw.cancel();
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> capture.openFiles() == 0 && replace.openFiles() == 0);

      // A later exchange is unaffected.
      ExchangeResult next = envoy.run(modes("STREAMED").requestBody(BodySource.random(10_000, 6)).build());
      assertThat(next.status()).isEqualTo(200);
    }
    List<String> names;
    try (Stream<Path> list = Files.list(capture.dir())) {
      names = list.map(p -> p.getFileName().toString()).sorted().toList();
    }
    assertThat(names).filteredOn(n -> n.endsWith(".partial")).hasSize(1);
    assertThat(names).filteredOn(n -> n.endsWith(".request.body")).hasSize(1); // the later exchange's
    assertThat(capture.partialFiles()).isEqualTo(1);
  }

  @Test
  void captureDirectoryUnusable_clientGets500_andTheNextExchangeWorks() throws Exception {
    Path dir = tmp.resolve("captures");
    CaptureProcessorFactory capture = CaptureProcessorFactory.create(dir, io);
    try (FakeEnvoy envoy = envoy(capture)) {
      Files.delete(dir);
      Files.writeString(dir, "a file where the directory was");

      ExchangeResult failed = envoy.run(modes("STREAMED").requestBody(BodySource.random(10_000, 7)).build());

      assertThat(failed.status()).isEqualTo(500);
      assertThat(failed.client().body().utf8()).contains("capture failed");
      assertThat(failed.upstreamRequest()).isEmpty();

      Files.delete(dir);
      Files.createDirectory(dir);
      ExchangeResult next = envoy.run(modes("STREAMED").requestBody(BodySource.random(10_000, 7)).echoRequestBody().build());
      assertThat(next.status()).isEqualTo(200);
    }
    assertThat(capture.errors()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> capture.openFiles() == 0);
  }

  @Test
  void delayThenPassThrough_keepsTheBody_andUsesTheScheduler() throws Exception {
    BodySource body = BodySource.random(200_000, 8);
    try (FakeEnvoy envoy = envoy(DelayProcessorFactory.of(Duration.ofMillis(1)))) {
      ExchangeResult result = envoy.run(modes("FULL_DUPLEX_STREAMED").requestBody(body).echoRequestBody().build());
      assertThat(result.upstream().body().matches(body)).isTrue();
      assertThat(result.client().body().matches(body)).isTrue();
    }
    assertThat(((ScheduledThreadPoolExecutor) scheduler).getCompletedTaskCount()).isGreaterThan(20);
  }
}
