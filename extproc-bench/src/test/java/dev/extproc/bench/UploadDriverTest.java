package dev.extproc.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.echo.EchoMode;
import java.net.URI;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class UploadDriverTest {

  @RegisterExtension final EchoExtension echo = new EchoExtension();

  @TempDir Path dir;

  @Test
  void concurrentUploadsThroughStreamingEcho_areAllVerified() throws Exception {
    Path body = TestFiles.random(dir, "body", 3 * 1024 * 1024 + 17, 1);
    URI base = echo.start(EchoMode.streaming());
    UploadSpec spec = new UploadSpec(base.resolve("/streamed"), body, 3 * 1024 * 1024 + 17,
        ExpectedBody.ofFile("the request body", body), 3, UploadSpec.DEFAULT_CHUNK_BYTES, Duration.ofSeconds(30));

    UploadDriver.Batch batch = new UploadDriver(echo.group()).start(spec);
    UploadRun run = batch.await();

    assertThat(run.results()).hasSize(3).allSatisfy(r -> {
      assertThat(r.verified()).as(r.error() == null ? "" : r.error()).isTrue();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.bytesSent()).isEqualTo(3 * 1024 * 1024 + 17);
      assertThat(r.bytesReceived()).isEqualTo(3 * 1024 * 1024 + 17);
      assertThat(r.firstByteNanos()).isPositive().isLessThanOrEqualTo(r.durationNanos());
    });
    assertThat(run.failed()).isZero();
    assertThat(run.throughputMibPerSecond()).isPositive();
    assertThat(UploadRun.percentileMillis(run.durations(), 99)).isPositive();
    assertThat(batch.progress().received(2)).isEqualTo(3 * 1024 * 1024 + 17);
  }

  @Test
  void aPrefixOfTheFile_isSentAndVerifiedThroughAggregatingEcho() throws Exception {
    Path body = TestFiles.random(dir, "body", 1024 * 1024, 2);
    URI base = echo.start(EchoMode.aggregating(EchoMode.DEFAULT_MAX_CONTENT_LENGTH));
    UploadSpec spec = new UploadSpec(base.resolve("/x"), body, 1000,
        ExpectedBody.ofFile("the first 1000 bytes", body, 1000), 2, 100, Duration.ofSeconds(30));

    UploadRun run = new UploadDriver(echo.group()).start(spec).await();

    assertThat(run.verified()).isEqualTo(2);
    assertThat(run.bytesSent()).isEqualTo(2000);
  }

  @Test
  void aResponseThatDiffers_failsWithBothDigests() throws Exception {
    Path body = TestFiles.random(dir, "body", 200_000, 3);
    Path other = TestFiles.random(dir, "other", 200_000, 4);
    URI base = echo.start(EchoMode.streaming());
    UploadSpec spec = new UploadSpec(base.resolve("/"), body, 200_000, ExpectedBody.ofFile("the other file", other),
        1, UploadSpec.DEFAULT_CHUNK_BYTES, Duration.ofSeconds(30));

    UploadRun run = new UploadDriver(echo.group()).start(spec).await();

    assertThat(run.failed()).isEqualTo(1);
    assertThat(run.results().get(0).error())
        .startsWith("response body sha256 " + Digests.hex(Digests.sha256(body)))
        .contains("(expected: the other file (200000 bytes, sha256 " + Digests.hex(Digests.sha256(other)));
  }

  @Test
  void aStatusOtherThan200_fails() throws Exception {
    Path body = TestFiles.random(dir, "body", 5000, 5);
    URI base = echo.start(EchoMode.aggregating(1000));
    UploadSpec spec = new UploadSpec(base.resolve("/"), body, 5000, ExpectedBody.ofFile("the request body", body),
        1, UploadSpec.DEFAULT_CHUNK_BYTES, Duration.ofSeconds(30));

    UploadRun run = new UploadDriver(echo.group()).start(spec).await();

    assertThat(run.results().get(0).verified()).isFalse();
    assertThat(run.results().get(0).error()).contains("413");
  }

  @Test
  void nothingListening_failsEveryUploadWithTheConnectError() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path body = TestFiles.random(dir, "body", 10, 6);
    UploadSpec spec = new UploadSpec(URI.create("http://127.0.0.1:" + port + "/"), body, 10,
        ExpectedBody.ofFile("the request body", body), 2, 10, Duration.ofSeconds(30));

    UploadRun run = new UploadDriver(echo.group()).start(spec).await();

    assertThat(run.failed()).isEqualTo(2);
    assertThat(run.results()).allSatisfy(r -> assertThat(r.error()).startsWith("connect to http://127.0.0.1:" + port));
  }
}
