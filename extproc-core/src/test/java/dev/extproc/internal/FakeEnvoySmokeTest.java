package dev.extproc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.ExtProcService;
import dev.extproc.PassthroughProcessor;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.FakeEnvoy;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A quick end-to-end check of the engine against FakeEnvoy; the conformance suite goes further. */
class FakeEnvoySmokeTest {
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
  }

  @ParameterizedTest
  @EnumSource(value = BodySendMode.class, names = {"NONE", "STREAMED", "BUFFERED", "BUFFERED_PARTIAL", "FULL_DUPLEX_STREAMED"})
  void passThroughKeepsBothBodiesByteExactInEveryMode(BodySendMode mode) {
    ExtProcService service = ExtProcService.builder(PassthroughProcessor.factory()).scheduler(scheduler).build();
    try (FakeEnvoy envoy = FakeEnvoy.forService(service, service.config().maxInboundMessageBytes())) {
      BodySource body = BodySource.random(1024 * 1024 + 1, 42);
      ExchangeResult result = envoy.run(Exchange.builder()
          .bodyMode(mode)
          .trailerMode(HeaderSendMode.SEND)
          .requestBody(body)
          .echoRequestBody()
          .chunkSize(16 * 1024)
          .bufferLimit(4 * 1024 * 1024)
          .build());
      assertThat(result.status()).as(result.summary()).isEqualTo(200);
      assertThat(result.upstream().body().matches(body)).as(result.summary()).isTrue();
      assertThat(result.client().body().matches(body)).as(result.summary()).isTrue();
    }
    assertThat(service.stats().streamsFailed()).isZero();
  }
}
