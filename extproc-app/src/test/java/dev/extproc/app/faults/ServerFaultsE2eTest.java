package dev.extproc.app.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.extproc.client.Exchange;
import dev.extproc.client.HttpClient;
import dev.extproc.client.HttpProtocol;
import dev.extproc.client.Response;
import dev.extproc.client.UploadGate;
import dev.extproc.stack.ExtProcFilterStats;
import dev.extproc.stack.LocalStack;
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
 * next request succeeds. The uploads run on the project's {@link HttpClient}, held mid-body by an
 * {@link UploadGate}. Figures in docs/reliability.md.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class ServerFaultsE2eTest {
  private static final int MIB = 1024 * 1024;

  private final HttpClient client = new HttpClient();
  private LocalStack stack;

  @BeforeAll
  void start(@TempDir Path dir) {
    stack = LocalStack.builder().serverArgs(List.of("--processor", "capture", "--capture-dir", dir.resolve("captures").toString())).build();
  }

  @AfterAll
  void stop() {
    try {
      if (stack != null) {
        stack.close();
      }
    } finally {
      client.close();
    }
  }

  @AfterEach
  void serverBackAndEmpty() throws Exception {
    if (stack.extProcPid().isEmpty() || !stack.extProcProcess().orElseThrow().isAlive()) {
      stack.startExtProcServer();
    }
    awaitServerHoldsNothing();
    Response next = post("/streamed", 100_000);
    assertThat(next.isCompleteWith(200)).as("the next request: %s", FaultUploads.describe(next)).isTrue();
    assertThat(next.body().sha256()).isEqualTo(FaultUploads.sha256Of(100_000));
  }

  private URI uri(String path) {
    return stack.extProcUri().resolve(path);
  }

  private Response post(String path, long size) throws Exception {
    URI uri = uri(path);
    return client.exchange(FaultUploads.address(uri), HttpProtocol.HTTP_1_1, FaultUploads.post(uri, size));
  }

  /** An upload of {@code size} bytes held by its gate once {@code pauseAt} of them were written. */
  private record Upload(Exchange exchange, UploadGate gate, String sentSha256) {}

  private Upload start(String path, long size, long pauseAt) {
    URI uri = uri(path);
    UploadGate gate = new UploadGate(pauseAt);
    Exchange exchange = client.start(FaultUploads.address(uri), HttpProtocol.HTTP_1_1, FaultUploads.post(uri, size).withGate(gate));
    return new Upload(exchange, gate, FaultUploads.sha256Of(size));
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

  private Upload uploadPausedMidBody(String path) {
    long messagesBefore = stats().get("messages_received");
    Upload upload = start(path, 4L * MIB, MIB);
    upload.gate().awaitReached();
    awaitStreams(1, messagesBefore);
    return upload;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"/streamed", "/fail-open-streamed"})
  void sigkillMidUpload(String path) throws Exception {
    ExtProcFilterStats envoyBefore = stack.envoyAdmin().extProcStats();
    Upload upload = uploadPausedMidBody(path);

    stack.killExtProcServer();
    long resumedAt = System.nanoTime();
    upload.gate().resume();
    Response seen = upload.exchange().await();
    Duration sinceResume = Duration.ofNanos(System.nanoTime() - resumedAt);
    String described = FaultUploads.describe(seen);
    System.out.println("FAULT sigkill mid-upload " + path + ": " + described + ", " + sinceResume.toMillis() + " ms after resuming");

    ExtProcFilterStats envoyAfter = stack.envoyAdmin().extProcStats();
    if (path.equals("/fail-open-streamed")) {
      // Envoy goes on without ext_proc: the whole body, byte for byte.
      assertThat(seen.isCompleteWith(200)).as("%s", described).isTrue();
      assertThat(seen.body().sha256()).isEqualTo(upload.sentSha256());
      assertThat(envoyAfter.failureModeAllowed()).isGreaterThan(envoyBefore.failureModeAllowed());
    } else {
      // Fail closed: a 5xx while the response status is still held for the processor, else a cut
      // response or none (the connection closed by Envoy, never by this client).
      assertThat(seen.outcome() == Response.Outcome.COMPLETE ? seen.status() >= 500
          : seen.outcome() == Response.Outcome.CONNECTION_CLOSED).as("%s", described).isTrue();
      assertThat(envoyAfter.streamsFailed()).isGreaterThan(envoyBefore.streamsFailed());
    }
    assertThat(sinceResume).as("time to the answer after the kill: %s", described).isLessThan(Duration.ofSeconds(5));
    long restart = System.nanoTime();
    stack.startExtProcServer();
    Response next = post(path, 100_000);
    System.out.println("FAULT sigkill " + path + ": server serving again " + (System.nanoTime() - restart) / 1_000_000
        + " ms after the restart began (start, health, first request): " + FaultUploads.describe(next));
    assertThat(next.isCompleteWith(200)).as("%s", FaultUploads.describe(next)).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"/streamed", "/fail-open-streamed"})
  void sigtermMidUpload_theUploadInFlightFinishes(String path) throws Exception {
    Upload upload = uploadPausedMidBody(path);
    long started = System.nanoTime();
    CompletableFuture<Void> stopping = CompletableFuture.runAsync(stack::stopExtProcServer);
    // Draining: the admin answers 503, no new stream is accepted, streams in flight go on.
    await("the server reports draining").atMost(Duration.ofSeconds(10)).until(() -> !stack.extProcAdmin().isHealthy());

    upload.gate().resume();
    Response seen = upload.exchange().await();
    stopping.join();
    Duration stop = Duration.ofNanos(System.nanoTime() - started);
    System.out.println("FAULT sigterm mid-upload " + path + ": " + FaultUploads.describe(seen) + "; server stopped after "
        + stop.toMillis() + " ms");

    assertThat(seen.isCompleteWith(200)).as("%s", FaultUploads.describe(seen)).isTrue();
    assertThat(seen.body().sha256()).isEqualTo(upload.sentSha256());
    assertThat(stop).as("the server stops once the upload is done, well within its 10 s grace").isLessThan(Duration.ofSeconds(8));
    stack.startExtProcServer();
  }

  @Test
  void clientAbortStorm_everyStreamCancelled_nothingHeld() throws Exception {
    int uploads = 40;
    Map<String, Long> before = stats();
    ExtProcFilterStats envoyBefore = stack.envoyAdmin().extProcStats();
    List<Upload> started = new ArrayList<>();
    for (int i = 0; i < uploads; i++) {
      started.add(start(i % 2 == 0 ? "/streamed" : "/full-duplex-streamed", 4L * MIB, 256 * 1024));
    }
    for (Upload upload : started) {
      upload.gate().awaitReached();
    }
    awaitStreams(uploads, before.get("messages_received"));

    long abortAt = System.nanoTime();
    for (Upload upload : started) {
      upload.gate().abort(); // closes the client's connection where the upload stands
    }
    for (Upload upload : started) {
      upload.exchange().await();
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
