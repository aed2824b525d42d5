package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.extproc.processors.media.TestMedia;
import dev.extproc.stack.LocalStack;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seed's exact scenario through a real Envoy: {@code capture,replace} (FULL_DUPLEX_STREAMED
 * with the seed's after-end strategy), the 70.4 MiB input replaced by the 78 MiB request
 * replacement upstream, the echoed 78 MiB replaced by the 21.9 MiB response replacement, one
 * exchange and then 10 concurrent ones per streaming route. The media are generated once into
 * {@code target/test-media} and reused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(900)
class SeedSizesE2ETest {
  private static final Logger log = LoggerFactory.getLogger(SeedSizesE2ETest.class);
  private static final int CONCURRENT = 10;

  private Path captures;
  private LocalStack stack;
  private TestMedia.MediaFile input;
  private TestMedia.MediaFile requestReplacement;
  private TestMedia.MediaFile responseReplacement;

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    List<TestMedia.MediaFile> media = TestMedia.ensure(Path.of("target", "test-media").toAbsolutePath(), 1.0);
    input = media.get(0);
    requestReplacement = media.get(1);
    responseReplacement = media.get(2);
    captures = tmp.resolve("captures");
    stack =
        LocalStack.builder()
            .serverArgs(
                List.of(
                    "--processor", "capture,replace",
                    "--capture-dir", captures.toString(),
                    "--replace-request-body", requestReplacement.path().toString(),
                    "--replace-response-body", responseReplacement.path().toString()))
            .build();
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @AfterEach
  void removeCaptures() throws Exception {
    // Each seed-sized exchange leaves about 148 MiB of captures: keep the disk use of the run small.
    for (Path file : Uploads.completeCaptures(captures)) {
      Files.delete(file);
    }
  }

  private void verify(Uploads.Received received) {
    assertThat(received.status()).as("%s", received).isEqualTo(200);
    assertThat(received.length()).isEqualTo(responseReplacement.sizeBytes());
    assertThat(received.sha256()).isEqualTo(responseReplacement.sha256());
  }

  private void verifyCaptures(Set<Path> fresh, int exchanges) throws Exception {
    assertThat(fresh).hasSize(2 * exchanges);
    for (Path file : fresh) {
      if (file.getFileName().toString().endsWith(".request.body")) {
        assertThat(Files.size(file)).isEqualTo(input.sizeBytes());
        assertThat(TestMedia.sha256(file)).as("request capture %s", file).isEqualTo(input.sha256());
      } else {
        assertThat(Files.size(file)).isEqualTo(requestReplacement.sizeBytes());
        assertThat(TestMedia.sha256(file)).as("response capture %s", file).isEqualTo(requestReplacement.sha256());
      }
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              Map<String, Long> stats = stack.extProcAdmin().stats();
              assertThat(stats)
                  .containsEntry("capture_open_files", 0L)
                  .containsEntry("replace_open_files", 0L)
                  .containsEntry("active_streams", 0L);
            });
  }

  @ParameterizedTest
  @ValueSource(strings = {"/streamed", "/full-duplex-streamed"})
  void oneSeedExchange_isReplacedAndCapturedExactly(String route) throws Exception {
    Set<Path> before = Uploads.completeCaptures(captures);
    long started = System.nanoTime();

    Uploads.Received received = Uploads.post(stack.extProcUri().resolve(route), input.path());

    log.info("route={} one seed exchange took {} ms; stats {}", route,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), stack.extProcAdmin().stats());
    verify(received);
    Set<Path> fresh = new HashSet<>(Uploads.completeCaptures(captures));
    fresh.removeAll(before);
    verifyCaptures(fresh, 1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/streamed", "/full-duplex-streamed"})
  void tenConcurrentSeedExchanges_allVerify(String route) throws Exception {
    Set<Path> before = Uploads.completeCaptures(captures);
    URI uri = stack.extProcUri().resolve(route);
    ExecutorService clients = Executors.newFixedThreadPool(CONCURRENT);
    long started = System.nanoTime();
    List<Uploads.Received> results = new ArrayList<>();
    try {
      List<Future<Uploads.Received>> futures = new ArrayList<>();
      for (int i = 0; i < CONCURRENT; i++) {
        futures.add(clients.submit(() -> Uploads.post(uri, input.path())));
      }
      for (Future<Uploads.Received> future : futures) {
        results.add(future.get(10, TimeUnit.MINUTES));
      }
    } finally {
      clients.shutdownNow();
      assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }

    log.info("route={} {} concurrent seed exchanges took {} ms; stats {}", route, CONCURRENT,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), stack.extProcAdmin().stats());
    assertThat(results).hasSize(CONCURRENT).allSatisfy(this::verify);
    Set<Path> fresh = new HashSet<>(Uploads.completeCaptures(captures));
    fresh.removeAll(before);
    verifyCaptures(fresh, CONCURRENT);
  }
}
