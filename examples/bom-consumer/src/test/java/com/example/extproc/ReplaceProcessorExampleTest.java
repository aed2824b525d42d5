package com.example.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.ExtProcService;
import dev.extproc.processors.FileIo;
import dev.extproc.processors.ReplaceProcessorFactory;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.FakeEnvoy;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a team's own test looks like: one of extproc's processors behind the real engine, driven by
 * FakeEnvoy (Envoy's side of ext_proc, in process), all from the installed artifacts.
 */
class ReplaceProcessorExampleTest {
  @TempDir Path dir;
  private final ExecutorService io = FileIo.newExecutor("example-io", 1);
  private final ScheduledExecutorService scheduler = new ScheduledThreadPoolExecutor(1);

  @AfterEach
  void stop() throws InterruptedException {
    io.shutdownNow();
    scheduler.shutdownNow();
    assertThat(io.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void upstreamGetsTheReplacementBodyInStreamedMode() throws Exception {
    Path replacement = Files.writeString(dir.resolve("replacement.txt"), "replaced by extproc", StandardCharsets.UTF_8);
    ReplaceProcessorFactory replace = ReplaceProcessorFactory.builder(io).requestBody(replacement).build();
    ExtProcService service = ExtProcService.builder(replace).scheduler(scheduler).build();

    ExchangeResult result;
    try (FakeEnvoy envoy = FakeEnvoy.forService(service, service.config().maxInboundMessageBytes())) {
      result = envoy.run(Exchange.builder()
          .bodyMode(BodySendMode.STREAMED)
          .requestBody(BodySource.of("the original request body"))
          .chunkSize(4)
          .build());
    }

    assertThat(result.status()).as(result.summary()).isEqualTo(200);
    assertThat(result.upstream().body().utf8()).isEqualTo("replaced by extproc");
  }
}
