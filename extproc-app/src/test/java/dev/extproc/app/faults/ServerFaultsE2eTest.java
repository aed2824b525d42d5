package dev.extproc.app.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.extproc.stack.ExtProcFilterStats;
import dev.extproc.stack.LocalStack;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Faults of the ext_proc server and of clients, through a real Envoy, with {@code --processor
 * capture}: SIGKILL and SIGTERM mid-upload on {@code /streamed} (failure_mode_allow false) and
 * {@code /fail-open-streamed} (true), and a storm of client aborts. Each test prints what the
 * client saw and how fast; afterwards the server holds no stream, byte or capture file, and the
 * next request succeeds. Figures in docs/reliability.md.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class ServerFaultsE2eTest {
  private static final int MIB = 1024 * 1024;

  private LocalStack stack;

  @BeforeAll
  void start(@TempDir Path dir) {
    stack = LocalStack.builder().serverArgs(List.of("--processor", "capture", "--capture-dir", dir.resolve("captures").toString())).build();
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @AfterEach
  void serverBackAndEmpty() throws IOException {
    if (stack.extProcPid().isEmpty() || !stack.extProcProcess().orElseThrow().isAlive()) {
      stack.startExtProcServer();
    }
    awaitServerHoldsNothing();
    FaultClient.Seen next = FaultClient.post(uri("/streamed"), 100_000);
    assertThat(next.completeWith(200)).as("the next request: %s", next).isTrue();
    assertThat(next.sha256()).isEqualTo(FaultClient.sha256Of(100_000));
  }

  private URI uri(String path) {
    return stack.extProcUri().resolve(path);
  }

  private Map<String, Long> stats() {
    return stack.extProcAdmin().stats();
  }

  private void awaitServerHoldsNothing() {
    await("the ext_proc server holds no stream, byte or capture file")
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(
            () ->
                assertThat(stats())
                    .containsEntry("active_streams", 0L)
                    .containsEntry("bytes_held", 0L)
                    .containsEntry("capture_open_files", 0L));
  }

  private void awaitStreams(long active, long messagesBefore) {
    await("the ext_proc server has " + active + " stream(s) with body")
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> {
          Map<String, Long> now = stats();
          return now.get("active_streams") >= active && now.get("messages_received") - messagesBefore >= 2 * active;
        });
  }

  private FaultClient.Upload uploadPausedMidBody(String path) throws IOException, InterruptedException {
    long messagesBefore = stats().get("messages_received");
    FaultClient.Upload upload = FaultClient.start(uri(path), 4L * MIB, MIB);
    upload.awaitPaused();
    awaitStreams(1, messagesBefore);
    return upload;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"/streamed", "/fail-open-streamed"})
  void sigkillMidUpload(String path) throws Exception {
    ExtProcFilterStats envoyBefore = stack.envoyAdmin().extProcStats();
    FaultClient.Upload upload = uploadPausedMidBody(path);

    stack.killExtProcServer();
    upload.resume();
    FaultClient.Seen seen = upload.join();
    System.out.println("FAULT sigkill mid-upload " + path + ": " + seen);

    ExtProcFilterStats envoyAfter = stack.envoyAdmin().extProcStats();
    if (path.equals("/fail-open-streamed")) {
      // Envoy goes on without ext_proc: the whole body, byte for byte.
      assertThat(seen.completeWith(200)).as("%s", seen).isTrue();
      assertThat(seen.sha256()).isEqualTo(upload.sentSha256);
      assertThat(envoyAfter.failureModeAllowed()).isGreaterThan(envoyBefore.failureModeAllowed());
    } else {
      // Fail closed: a 5xx while the response status is still held for the processor, else a cut response.
      assertThat(seen.ending() == FaultClient.Ending.COMPLETE ? seen.status() >= 500 : true).as("%s", seen).isTrue();
      assertThat(envoyAfter.streamsFailed()).isGreaterThan(envoyBefore.streamsFailed());
    }
    assertThat(seen.elapsed()).as("time to the answer after the kill: %s", seen).isLessThan(Duration.ofSeconds(5));
    long restart = System.nanoTime();
    stack.startExtProcServer();
    FaultClient.Seen next = FaultClient.post(uri(path), 100_000);
    System.out.println("FAULT sigkill " + path + ": server serving again " + (System.nanoTime() - restart) / 1_000_000
        + " ms after the restart began (start, health, first request): " + next);
    assertThat(next.completeWith(200)).as("%s", next).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"/streamed", "/fail-open-streamed"})
  void sigtermMidUpload_theUploadInFlightFinishes(String path) throws Exception {
    FaultClient.Upload upload = uploadPausedMidBody(path);
    long started = System.nanoTime();
    CompletableFuture<Void> stopping = CompletableFuture.runAsync(stack::stopExtProcServer);
    // Draining: the admin answers 503, no new stream is accepted, streams in flight go on.
    await("the server reports draining").atMost(Duration.ofSeconds(10)).until(() -> !stack.extProcAdmin().isHealthy());

    upload.resume();
    FaultClient.Seen seen = upload.join();
    stopping.join();
    Duration stop = Duration.ofNanos(System.nanoTime() - started);
    System.out.println("FAULT sigterm mid-upload " + path + ": " + seen + "; server stopped after " + stop.toMillis() + " ms");

    assertThat(seen.completeWith(200)).as("%s", seen).isTrue();
    assertThat(seen.sha256()).isEqualTo(upload.sentSha256);
    assertThat(stop).as("the server stops once the upload is done, well within its 10 s grace").isLessThan(Duration.ofSeconds(8));
    stack.startExtProcServer();
  }

  @Test
  void clientAbortStorm_everyStreamCancelled_nothingHeld() throws Exception {
    int uploads = 40;
    Map<String, Long> before = stats();
    ExtProcFilterStats envoyBefore = stack.envoyAdmin().extProcStats();
    List<FaultClient.Upload> started = new ArrayList<>();
    for (int i = 0; i < uploads; i++) {
      FaultClient.Upload upload = FaultClient.start(uri(i % 2 == 0 ? "/streamed" : "/full-duplex-streamed"), 4L * MIB, 256 * 1024);
      started.add(upload);
    }
    for (FaultClient.Upload upload : started) {
      upload.awaitPaused();
    }
    awaitStreams(uploads, before.get("messages_received"));

    long abortAt = System.nanoTime();
    for (FaultClient.Upload upload : started) {
      upload.abort();
    }
    awaitServerHoldsNothing();
    Duration released = Duration.ofNanos(System.nanoTime() - abortAt);
    Map<String, Long> after = stats();
    ExtProcFilterStats envoyAfter = stack.envoyAdmin().extProcStats();
    System.out.println("FAULT client abort storm x" + uploads + ": released in " + released.toMillis() + " ms; server "
        + "streams_cancelled +" + (after.get("streams_cancelled") - before.get("streams_cancelled"))
        + ", streams_completed +" + (after.get("streams_completed") - before.get("streams_completed"))
        + ", capture_files_partial +" + (after.get("capture_files_partial") - before.get("capture_files_partial"))
        + "; Envoy spurious_msgs_received +" + (envoyAfter.spuriousMsgsReceived() - envoyBefore.spuriousMsgsReceived()));

    assertThat(after.get("streams_cancelled") - before.get("streams_cancelled")).isEqualTo(uploads);
    assertThat(after.get("streams_completed")).isEqualTo(before.get("streams_completed"));
    assertThat(envoyAfter.spuriousMsgsReceived()).isEqualTo(envoyBefore.spuriousMsgsReceived());
  }
}
