package dev.extproc.app.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.extproc.client.HttpClient;
import dev.extproc.client.HttpProtocol;
import dev.extproc.client.Response;
import dev.extproc.stack.LocalStack;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --processor capture} writing to a 2 MiB tmpfs, through a real Envoy: the disk fills
 * mid-upload, then the capture directory turns read-only. What the client sees, that no file stays
 * open and no incomplete capture gets a final name, and how the server serves afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class DiskFaultsE2eTest {
  private static final long DISK_BYTES = 2L * 1024 * 1024;

  private final HttpClient client = new HttpClient();
  private Path mount;
  private Path captures;
  private LocalStack stack;

  @BeforeAll
  void start(@TempDir Path dir) throws IOException {
    mount = Files.createDirectory(dir.resolve("disk"));
    Mounts.tmpfs(mount, DISK_BYTES);
    captures = Files.createDirectory(mount.resolve("captures"));
    stack = LocalStack.builder().serverArgs(List.of("--processor", "capture", "--capture-dir", captures.toString())).build();
  }

  @AfterAll
  void stop() {
    try {
      if (stack != null) {
        stack.close();
      }
    } finally {
      client.close();
      if (captures != null) {
        Mounts.unmount(mount);
      }
    }
  }

  private Response post(String path, long size) throws Exception {
    URI uri = stack.extProcUri().resolve(path);
    return client.exchange(FaultUploads.address(uri), HttpProtocol.HTTP_1_1, FaultUploads.post(uri, size));
  }

  private void awaitNoOpenFile() {
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () ->
                assertThat(stack.extProcAdmin().stats())
                    .containsEntry("active_streams", 0L)
                    .containsEntry("bytes_held", 0L)
                    .containsEntry("capture_open_files", 0L));
  }

  private List<Path> files(String suffix) throws IOException {
    try (Stream<Path> list = Files.list(captures)) {
      return list.filter(p -> p.toString().endsWith(suffix)).toList();
    }
  }

  @Test
  void diskFullMidUpload_thenReadOnly() throws Exception {
    Map<String, Long> before = stack.extProcAdmin().stats();

    Response full = post("/streamed", 8L * 1024 * 1024);
    System.out.println("FAULT capture disk full mid-upload (2 MiB tmpfs, 8 MiB upload): " + FaultUploads.describe(full));

    // Never a complete 200 with a body other than the upload.
    if (full.isCompleteWith(200)) {
      assertThat(full.body().sha256()).isEqualTo(FaultUploads.sha256Of(8L * 1024 * 1024));
    }
    assertThat(full.isCompleteWith(200)).as("the capture cannot have succeeded: %s", FaultUploads.describe(full)).isFalse();
    awaitNoOpenFile();
    assertThat(stack.extProcAdmin().stat("capture_errors")).isGreaterThan(before.get("capture_errors"));
    assertThat(files(".body")).as("no incomplete capture under a final name").isEmpty();

    // The partial files stay (by design, for inspection) and keep the disk full: a clear 500 until cleaned.
    Response whileFull = post("/streamed", 100_000);
    System.out.println("FAULT capture disk still full, next 100 KB upload: " + FaultUploads.describe(whileFull));
    for (Path partial : files(".partial")) {
      Files.delete(partial);
    }
    Response cleaned = post("/streamed", 100_000);
    assertThat(cleaned.isCompleteWith(200)).as("after removing the partial files: %s", FaultUploads.describe(cleaned)).isTrue();
    assertThat(cleaned.body().sha256()).isEqualTo(FaultUploads.sha256Of(100_000));

    Mounts.readOnly(mount);
    Response readOnly;
    try {
      readOnly = post("/streamed", 100_000);
    } finally {
      Mounts.readWrite(mount);
    }
    System.out.println("FAULT capture dir read-only: " + FaultUploads.describe(readOnly));
    assertThat(readOnly.isCompleteWith(500)).as("%s", FaultUploads.describe(readOnly)).isTrue();
    assertThat(readOnly.bodyHeadText()).contains("capture failed");
    awaitNoOpenFile();

    Response after = post("/streamed", 100_000);
    assertThat(after.isCompleteWith(200)).as("writable again: %s", FaultUploads.describe(after)).isTrue();
  }
}
