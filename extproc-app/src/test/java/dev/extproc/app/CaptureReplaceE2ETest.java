package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.extproc.processors.media.TestMedia;
import dev.extproc.stack.LocalStack;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The seed's setup, {@code --processor capture,replace}, through a real Envoy on every body-mode
 * route, with small files: inputs of 0 B, 1 B, 64 KiB (all shorter than the 300,000 B request
 * replacement) and 1,000,000 B (longer), and a 100,000 B response replacement, shorter than the
 * echoed 300,000 B. FULL_DUPLEX_STREAMED uses the eager strategy here (SeedSizesE2ETest uses
 * after-end). Also: a client abort mid-upload, and a capture directory that becomes unusable.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class CaptureReplaceE2ETest {
  private static final int REQUEST_REPLACEMENT_BYTES = 300_000;
  private static final int RESPONSE_REPLACEMENT_BYTES = 100_000;

  private Path tmp;
  private LocalStack stack;
  private Path captures;
  private TestMedia.MediaFile requestReplacement;
  private TestMedia.MediaFile responseReplacement;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    tmp = dir;
    captures = tmp.resolve("captures");
    requestReplacement = TestMedia.ensure(tmp.resolve("request-replacement.bin"), REQUEST_REPLACEMENT_BYTES, 2);
    responseReplacement = TestMedia.ensure(tmp.resolve("response-replacement.bin"), RESPONSE_REPLACEMENT_BYTES, 3);
    stack =
        LocalStack.builder()
            .serverArgs(
                List.of(
                    "--processor", "capture,replace",
                    "--capture-dir", captures.toString(),
                    "--replace-request-body", requestReplacement.path().toString(),
                    "--replace-response-body", responseReplacement.path().toString(),
                    "--duplex-replace", "eager"))
            .build();
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private void awaitNoOpenFiles() {
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              Map<String, Long> stats = stack.extProcAdmin().stats();
              assertThat(stats).containsEntry("capture_open_files", 0L).containsEntry("replace_open_files", 0L);
            });
  }

  @ParameterizedTest(name = "{0} with a {1} B input")
  @CsvSource({
    "/streamed, 0", "/streamed, 1", "/streamed, 65536", "/streamed, 1000000",
    "/full-duplex-streamed, 0", "/full-duplex-streamed, 1", "/full-duplex-streamed, 65536", "/full-duplex-streamed, 1000000",
    "/buffered, 0", "/buffered, 1", "/buffered, 65536", "/buffered, 1000000"
  })
  void upstreamGetsTheRequestReplacement_clientTheResponseReplacement_capturesHoldWhatTheProcessorSaw(String route, int size)
      throws Exception {
    TestMedia.MediaFile input = TestMedia.ensure(tmp.resolve("input-" + size + ".bin"), size, 1);
    Set<Path> before = Uploads.completeCaptures(captures);

    Uploads.Received received = Uploads.post(stack.extProcUri().resolve(route), input.path());

    assertThat(received.status()).as("%s", received).isEqualTo(200);
    assertThat(received.sha256()).as("%s", received).isEqualTo(responseReplacement.sha256());
    assertThat(received.length()).isEqualTo(RESPONSE_REPLACEMENT_BYTES);
    Set<Path> fresh = new HashSet<>(Uploads.completeCaptures(captures));
    fresh.removeAll(before);
    assertThat(fresh).hasSize(2);
    for (Path file : fresh) {
      if (file.getFileName().toString().endsWith(".request.body")) {
        assertThat(TestMedia.sha256(file)).as("request capture %s", file).isEqualTo(input.sha256());
      } else {
        // The echo backend returns what it received: the response capture is what reached the backend.
        assertThat(TestMedia.sha256(file)).as("response capture %s", file).isEqualTo(requestReplacement.sha256());
      }
    }
    awaitNoOpenFiles();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/streamed", "/full-duplex-streamed"})
  void clientAbortMidUpload_leavesNoCompleteCapture_noOpenFile_andLaterExchangesWork(String route) throws Exception {
    Set<Path> completeBefore = Uploads.completeCaptures(captures);
    Set<Path> partialBefore = Uploads.partialCaptures(captures);
    long partialCountBefore = stack.extProcAdmin().stat("capture_files_partial");

    long startedBefore = stack.extProcAdmin().stat("streams_started");

    Uploads.abortedPost(
        stack.extProcUri().resolve(route),
        2_000_000,
        () -> stack.extProcAdmin().stat("streams_started") > startedBefore && stack.extProcAdmin().stat("capture_open_files") > 0);

    awaitNoOpenFiles();
    await().atMost(Duration.ofSeconds(20)).until(() -> stack.extProcAdmin().stat("active_streams") == 0);
    assertThat(Uploads.completeCaptures(captures)).isEqualTo(completeBefore);
    Set<Path> partials = new HashSet<>(Uploads.partialCaptures(captures));
    partials.removeAll(partialBefore);
    // At most one per direction: a streaming echo answers (and the response direction starts) before the upload ends.
    assertThat(partials)
        .hasSizeLessThanOrEqualTo(2)
        .allSatisfy(p -> assertThat(p.toString()).matches(".*\\.(request|response)\\.body\\.partial"));
    assertThat(stack.extProcAdmin().stat("capture_files_partial")).isEqualTo(partialCountBefore + partials.size());

    TestMedia.MediaFile input = TestMedia.ensure(tmp.resolve("input-after-abort.bin"), 500_000, 4);
    Uploads.Received next = Uploads.post(stack.extProcUri().resolve(route), input.path());
    assertThat(next.status()).as("%s", next).isEqualTo(200);
    assertThat(next.sha256()).isEqualTo(responseReplacement.sha256());
  }

  @Test
  void captureDirectoryUnusable_clientGetsAClear500_andTheServerKeepsServing() throws Exception {
    TestMedia.MediaFile input = TestMedia.ensure(tmp.resolve("input-dir.bin"), 10_000, 5);
    Path moved = tmp.resolve("captures.moved");
    long errorsBefore = stack.extProcAdmin().stat("capture_errors");
    // Tests run as root, so permissions cannot make a directory unwritable: a regular file in its place can (ENOTDIR).
    Files.move(captures, moved);
    Files.writeString(captures, "a file where the capture directory was");
    Uploads.Received refused;
    try {
      refused = Uploads.post(stack.extProcUri().resolve("/streamed"), input.path());
    } finally {
      Files.delete(captures);
      Files.move(moved, captures);
    }

    assertThat(refused.status()).as("%s", refused).isEqualTo(500);
    assertThat(refused.head()).contains("capture failed", "request body");
    assertThat(stack.extProcAdmin().stat("capture_errors")).isEqualTo(errorsBefore + 1);
    awaitNoOpenFiles();

    Uploads.Received next = Uploads.post(stack.extProcUri().resolve("/streamed"), input.path());
    assertThat(next.status()).as("%s", next).isEqualTo(200);
    assertThat(next.sha256()).isEqualTo(responseReplacement.sha256());
    assertThat(stack.extProcAdmin().isHealthy()).isTrue();
  }
}
