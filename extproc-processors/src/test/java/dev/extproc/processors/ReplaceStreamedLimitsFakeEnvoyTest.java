package dev.extproc.processors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.ProcessorChain;
import dev.extproc.ProcessorFactory;
import dev.extproc.processors.media.TestMedia;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.FakeEnvoy;
import dev.extproc.testing.Headers;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue #9 item 5: STREAMED replacement larger than one reply. The seed's sizes scaled down by
 * 128 (one reply 256 KiB instead of 32 MiB; request replacement 624 KiB instead of 78 MiB,
 * response replacement 175 KiB instead of 21.9 MiB): the input either carries the replacement
 * whole, or the exchange is refused at header time, before the upstream sees anything; never a
 * started response cut short.
 */
@Timeout(60)
class ReplaceStreamedLimitsFakeEnvoyTest {
  private static final int MAX_REPLY = 256 * 1024;
  private static final int REQUEST_REPLACEMENT = 78 * 8 * 1024; // 78 MiB / 128
  private static final int RESPONSE_REPLACEMENT = 175_200; // 21.9 MiB / 128

  @TempDir Path tmp;
  private final ExecutorService io = FileIo.newExecutor("test-io", 2);
  private final ScheduledExecutorService scheduler = new ScheduledThreadPoolExecutor(1);

  @AfterEach
  void stop() throws Exception {
    io.shutdownNow();
    scheduler.shutdownNow();
    assertThat(io.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  private ReplaceProcessorFactory replace() throws Exception {
    return ReplaceProcessorFactory.builder(io)
        .requestBody(TestMedia.ensure(tmp.resolve("request.bin"), REQUEST_REPLACEMENT, 2).path())
        .responseBody(TestMedia.ensure(tmp.resolve("response.bin"), RESPONSE_REPLACEMENT, 3).path())
        .maxReplyBytes(MAX_REPLY)
        .build();
  }

  private FakeEnvoy envoy(ProcessorFactory factory) {
    ExtProcConfig d = ExtProcConfig.defaults();
    ExtProcConfig config =
        new ExtProcConfig(
            d.maxChunkBytes(), MAX_REPLY, d.maxPendingOutputBytes(), 0, d.defaultMode(), d.modeOverrideAllowed(),
            d.processorErrorPolicy());
    ExtProcService service = ExtProcService.builder(factory).config(config).scheduler(scheduler).build();
    return FakeEnvoy.forService(service, service.config().maxInboundMessageBytes()).timeout(Duration.ofSeconds(30));
  }

  private static Exchange.Builder streamed(BodySource input) {
    return Exchange.builder().bodyMode(BodySendMode.STREAMED).requestBody(input).chunkSize(16 * 1024).echoRequestBody();
  }

  /** "hi" (curl --data-binary hi) and the 3 MB upload (3/32 of one reply): refused before anything moves. */
  @ParameterizedTest(name = "input {0} B")
  @ValueSource(ints = {2, 24_576, 100_000})
  void replacementTooLargeForTheInput_refusedAtHeaderTime_with500_upstreamSeesNothing(int inputSize) throws Exception {
    ReplaceProcessorFactory replace = replace();
    CaptureProcessorFactory capture = CaptureProcessorFactory.create(tmp.resolve("captures"), io);
    ExchangeResult result;
    try (FakeEnvoy envoy = envoy(ProcessorChain.factory(List.of(capture, replace)))) {
      result = envoy.run(streamed(BodySource.random(inputSize, 1)).build());
    }

    assertThat(result.status()).as(result.summary()).isEqualTo(500);
    assertThat(result.client().body().utf8()).contains("ext_proc replace failed");
    assertThat(result.upstreamRequest()).as("the upstream must not see the request").isEmpty();
    // The 500 answers the request headers: no body reply ever carried part of the replacement.
    assertThat(result.received()).noneMatch(ProcessingResponse::hasRequestBody);
    assertThat(replace.errors()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> replace.openFiles() == 0 && capture.openFiles() == 0);
  }

  @Test
  void noContentLength_replacementLargerThanOneReply_refusedAtHeaderTime() throws Exception {
    ReplaceProcessorFactory replace = replace();
    ExchangeResult result;
    try (FakeEnvoy envoy = envoy(replace)) {
      result = envoy.run(streamed(BodySource.random(600_000, 1)).addContentLength(false).build());
    }

    assertThat(result.status()).as(result.summary()).isEqualTo(500);
    assertThat(result.upstreamRequest()).isEmpty();
    await().atMost(Duration.ofSeconds(5)).until(() -> replace.openFiles() == 0);
  }

  /**
   * The seed's ratio (70.4 MiB in, 78 MiB out; 563 KiB here) and the smallest accepted input (a
   * quarter of the replacement): the upstream gets the replacement byte for byte, no reply over
   * the limit.
   */
  @ParameterizedTest(name = "input {0} B")
  @ValueSource(ints = {563_200, REQUEST_REPLACEMENT / 4, 2_000_000})
  void replacementLargerThanOneReply_spreadOverTheInput_byteExact(int inputSize) throws Exception {
    ReplaceProcessorFactory replace = replace();
    ExchangeResult result;
    try (FakeEnvoy envoy = envoy(replace)) {
      result = envoy.run(streamed(BodySource.random(inputSize, 1)).build());
    }

    assertThat(result.status()).as(result.summary()).isEqualTo(200);
    assertThat(result.upstream().body().matches(BodySource.ofFile(replace.file(dev.extproc.Direction.REQUEST).orElseThrow())))
        .as(result.summary())
        .isTrue();
    assertThat(result.client().body().matches(BodySource.ofFile(replace.file(dev.extproc.Direction.RESPONSE).orElseThrow())))
        .as(result.summary())
        .isTrue();
    assertThat(result.received())
        .filteredOn(ProcessingResponse::hasRequestBody)
        .allSatisfy(
            reply ->
                assertThat(reply.getRequestBody().getResponse().getBodyMutation().getBody().size())
                    .isLessThanOrEqualTo(MAX_REPLY));
    assertThat(replace.errors()).isZero();
    await().atMost(Duration.ofSeconds(5)).until(() -> replace.openFiles() == 0);
  }

  /**
   * Trailers end the request: the reply to the last body message goes before the end is known, so
   * nothing can follow it. With a content-length the replacement (here 2.5 times the input, within
   * one reply) is spread in proportion and out with the last body byte.
   */
  @Test
  void trailersEndTheBody_replacementLongerThanTheInput_outWithTheLastBodyByte() throws Exception {
    Path replacement = TestMedia.ensure(tmp.resolve("small.bin"), 250_000, 4).path();
    ReplaceProcessorFactory replace = ReplaceProcessorFactory.builder(io).requestBody(replacement).maxReplyBytes(MAX_REPLY).build();
    ExchangeResult result;
    try (FakeEnvoy envoy = envoy(replace)) {
      result =
          envoy.run(
              streamed(BodySource.random(100_000, 1))
                  .chunkSize(100_000)
                  .trailerMode(HeaderSendMode.SEND)
                  .requestTrailers(Headers.of("x-checksum", "1"))
                  .build());
    }

    assertThat(result.status()).as(result.summary()).isEqualTo(200);
    assertThat(result.upstream().body().matches(BodySource.ofFile(replacement))).as(result.summary()).isTrue();
    assertThat(replace.errors()).isZero();
  }
}
