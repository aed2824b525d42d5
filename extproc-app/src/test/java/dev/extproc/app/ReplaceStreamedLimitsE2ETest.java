package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.extproc.processors.media.TestMedia;
import dev.extproc.stack.LocalStack;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue #9 item 5 through a real Envoy: the README's seed setup ({@code capture,replace} on
 * {@code /streamed}) at a quarter of the seed's sizes and of the reply limit, same ratios: one
 * reply 8 MiB (32 MiB / 4), request replacement 19.5 MiB (78 MiB / 4), response replacement
 * 5.475 MiB (21.9 MiB / 4). Before the fix "hi" got a 500 and a 750 KB upload (3 MB / 4) a 200
 * whose body was cut short; now an input too small to carry the replacement gets a 500 before
 * the upstream sees anything, and an input large enough gets the replacement whole.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class ReplaceStreamedLimitsE2ETest {
  private static final int MAX_REPLY = 8 * 1024 * 1024;
  private static final int REQUEST_REPLACEMENT_BYTES = 78 * 256 * 1024;
  private static final int RESPONSE_REPLACEMENT_BYTES = 5_740_954; // 21.9 MiB / 4

  private Path tmp;
  private LocalStack stack;
  private TestMedia.MediaFile responseReplacement;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    tmp = dir;
    TestMedia.MediaFile requestReplacement =
        TestMedia.ensure(tmp.resolve("request-replacement.bin"), REQUEST_REPLACEMENT_BYTES, 2);
    responseReplacement = TestMedia.ensure(tmp.resolve("response-replacement.bin"), RESPONSE_REPLACEMENT_BYTES, 3);
    stack =
        LocalStack.builder()
            .serverArgs(
                List.of(
                    "--processor", "capture,replace",
                    "--capture-dir", tmp.resolve("captures").toString(),
                    "--replace-request-body", requestReplacement.path().toString(),
                    "--replace-response-body", responseReplacement.path().toString(),
                    "--max-body-message-bytes", Integer.toString(MAX_REPLY)))
            .build();
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private void awaitNothingHeld() {
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(stack.extProcAdmin().stats())
                    .containsEntry("active_streams", 0L)
                    .containsEntry("capture_open_files", 0L)
                    .containsEntry("replace_open_files", 0L));
  }

  /** curl --data-binary hi, and the 3 MB upload (750,000 B here): a clear 500, never a cut 200. */
  @ParameterizedTest(name = "{0} B input")
  @ValueSource(ints = {2, 750_000})
  void inputTooSmallToCarryTheReplacement_clearFiveHundred_beforeTheStatusIsCommitted(int size) throws Exception {
    TestMedia.MediaFile input = TestMedia.ensure(tmp.resolve("small-" + size + ".bin"), size, 1);
    long errorsBefore = stack.extProcAdmin().stat("replace_errors");

    Uploads.Received received = Uploads.post(stack.extProcUri().resolve("/streamed"), input.path());

    assertThat(received.status()).as("%s", received).isEqualTo(500);
    assertThat(received.head()).contains("ext_proc replace failed", "ReplacementTooLargeException");
    assertThat(stack.extProcAdmin().stat("replace_errors")).isEqualTo(errorsBefore + 1);
    awaitNothingHeld();
  }

  /** The seed's ratio (70.4 MiB in, 17.6 MiB here) and a third of the replacement: the whole replacement. */
  @ParameterizedTest(name = "{0} B input")
  @ValueSource(ints = {18_454_938, REQUEST_REPLACEMENT_BYTES / 3})
  void inputLargeEnough_theResponseReplacementWhole(int size) throws Exception {
    TestMedia.MediaFile input = TestMedia.ensure(tmp.resolve("input-" + size + ".bin"), size, 1);

    Uploads.Received received = Uploads.post(stack.extProcUri().resolve("/streamed"), input.path());

    assertThat(received.status()).as("%s", received).isEqualTo(200);
    assertThat(received.length()).isEqualTo(RESPONSE_REPLACEMENT_BYTES);
    assertThat(received.sha256()).isEqualTo(responseReplacement.sha256());
    awaitNothingHeld();
  }
}
