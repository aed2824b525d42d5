package dev.extproc.app.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.extproc.client.HttpClient;
import dev.extproc.client.HttpProtocol;
import dev.extproc.client.Response;
import dev.extproc.stack.EnvoyTuning;
import dev.extproc.stack.ExtProcFilterStats;
import dev.extproc.stack.LocalStack;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A processor slower than Envoy's message timeout ({@code --processor delay --delay 1s} against a
 * 200 ms {@code message_timeout}), through a real Envoy: what the client sees and how fast, with
 * failure_mode_allow false and true, and that the server releases the stream Envoy gave up on.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class SlowProcessorE2eTest {
  private static final Duration MESSAGE_TIMEOUT = Duration.ofMillis(200);

  private final HttpClient client = new HttpClient();
  private LocalStack stack;

  @BeforeAll
  void start() {
    stack =
        LocalStack.builder()
            .serverArgs(List.of("--processor", "delay", "--delay", "1s"))
            .tuning(EnvoyTuning.defaults().toBuilder().messageTimeout(MESSAGE_TIMEOUT).build())
            .build();
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

  private Response post(String path, long size) throws Exception {
    URI uri = stack.extProcUri().resolve(path);
    return client.exchange(FaultUploads.address(uri), HttpProtocol.HTTP_1_1, FaultUploads.post(uri, size));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"/streamed", "/fail-open-streamed"})
  void processorSlowerThanTheMessageTimeout(String path) throws Exception {
    ExtProcFilterStats before = stack.envoyAdmin().extProcStats();

    Response seen = post(path, 100_000);
    String described = FaultUploads.describe(seen);
    System.out.println("FAULT processor 1 s per message vs message_timeout 200 ms, " + path + ": " + described);

    ExtProcFilterStats after = stack.envoyAdmin().extProcStats();
    assertThat(after.messageTimeouts()).isGreaterThan(before.messageTimeouts());
    if (path.equals("/fail-open-streamed")) {
      assertThat(seen.isCompleteWith(200)).as("%s", described).isTrue();
      assertThat(seen.body().sha256()).isEqualTo(FaultUploads.sha256Of(100_000));
    } else {
      assertThat(seen.isCompleteWith(504)).as("%s", described).isTrue();
    }
    assertThat(seen.elapsed()).as("%s", described).isLessThan(Duration.ofSeconds(3));
    await("the server releases the stream Envoy gave up on")
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () -> assertThat(stack.extProcAdmin().stats()).containsEntry("active_streams", 0L).containsEntry("bytes_held", 0L));
  }
}
