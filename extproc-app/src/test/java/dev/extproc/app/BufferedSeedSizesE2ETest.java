package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.extproc.processors.media.TestMedia;
import dev.extproc.stack.EnvoyTuning;
import dev.extproc.stack.LocalStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's sizes on {@code /buffered}, as the fork's BUFFERED baseline did it: whole bodies of
 * 70.4 and 78 MiB need Envoy's buffer limits raised to about 100 MiB (the fork raised them to
 * 100 MB) and the server's {@code --max-body-message-bytes} too, since each body travels as one
 * gRPC message each way. One exchange: this is the memory-hungry mode the streaming modes replace.
 */
@Timeout(300)
class BufferedSeedSizesE2ETest {
  private static final long LIMIT_BYTES = 100L * 1024 * 1024;

  @Test
  void seedExchangeOnBuffered_isReplacedAndCapturedExactly(@TempDir Path tmp) throws Exception {
    List<TestMedia.MediaFile> media = TestMedia.ensure(Path.of("target", "test-media").toAbsolutePath(), 1.0);
    TestMedia.MediaFile input = media.get(0);
    TestMedia.MediaFile requestReplacement = media.get(1);
    TestMedia.MediaFile responseReplacement = media.get(2);
    Path captures = tmp.resolve("captures");
    EnvoyTuning tuning =
        EnvoyTuning.defaults().toBuilder()
            .listenerBufferLimitBytes(LIMIT_BYTES)
            .bufferedRouteBufferLimitBytes(LIMIT_BYTES)
            .build();
    try (LocalStack stack =
        LocalStack.builder()
            .tuning(tuning)
            .serverArgs(
                List.of(
                    "--max-body-message-bytes", "100MiB",
                    "--processor", "capture,replace",
                    "--capture-dir", captures.toString(),
                    "--replace-request-body", requestReplacement.path().toString(),
                    "--replace-response-body", responseReplacement.path().toString()))
            .serverJvmOptions(List.of("-Xmx1500m"))
            .build()) {
      Uploads.Received received = Uploads.post(stack.extProcUri().resolve("/buffered"), input.path());

      assertThat(received.status()).as("%s", received).isEqualTo(200);
      assertThat(received.length()).isEqualTo(responseReplacement.sizeBytes());
      assertThat(received.sha256()).isEqualTo(responseReplacement.sha256());
      Set<Path> files = new HashSet<>(Uploads.completeCaptures(captures));
      assertThat(files).hasSize(2);
      for (Path file : files) {
        String expected = file.toString().endsWith(".request.body") ? input.sha256() : requestReplacement.sha256();
        assertThat(TestMedia.sha256(file)).as("capture %s", file).isEqualTo(expected);
        Files.delete(file);
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> stack.extProcAdmin().stat("capture_open_files") == 0 && stack.extProcAdmin().stat("replace_open_files") == 0);
    }
  }
}
