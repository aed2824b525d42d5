package dev.extproc.app.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.ExtProcConfig;
import dev.extproc.client.BodyDigest;
import dev.extproc.transforms.JsonMaskProcessorFactory;
import dev.extproc.transforms.JsonMaskRule;
import dev.extproc.transforms.JsonMaskTransform;
import dev.extproc.transforms.MatchRule;
import dev.extproc.transforms.RedactRule;
import dev.extproc.transforms.StreamingMatcher;
import dev.extproc.transforms.Utf8Boundaries;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Large bodies through the streaming processors on a 64 MiB heap: the body comes back as the
 * library's transforms make it, the engine never holds more than its per-stream bound, and the
 * heap sampled during the exchange stays under the limit. The chain is {@code redact,json-mask}.
 *
 * <ul>
 *   <li>1 GiB of pseudo-random bytes through FULL_DUPLEX_STREAMED and through STREAMED: redact
 *       scans every byte in both directions (json-mask passes non-JSON through);
 *   <li>256 MiB of JSON records through FULL_DUPLEX_STREAMED: both processors change every record
 *       (a card number and a password each).
 * </ul>
 *
 * <p>Times on the shared two-core machine are in docs/transforms.md. {@code
 * -Dextproc.transforms.largeBodyMiB=N} and {@code -Dextproc.transforms.largeJsonMiB=N} set the sizes.
 */
@ExtendWith(LocalStackExtension.class)
@StackConfig(serverArgs = {"--processor", "redact,json-mask", "--json-mask-fields", "password"},
    serverJvmOptions = {"-Xmx64m"})
class TransformsLargeBodyE2eTest {
  static final long LARGE_MIB = 1024;
  static final long JSON_MIB = 256;
  static final long HEAP_LIMIT = 64L * 1024 * 1024;

  @ParameterizedTest
  @EnumSource(value = Route.class, names = {"STREAMED", "FULL_DUPLEX_STREAMED"})
  void aLargeBodyPassesTheRedactorInBoundedMemory(Route route, E2eStack stack) throws InterruptedException {
    long size = Long.getLong("extproc.transforms.largeBodyMiB", LARGE_MIB) * 1024 * 1024;
    BodySource body = BodySource.ofLength(size);
    TestResponse response = sendSampled(stack, route, TestRequest.post(route.path(), body, Framing.CONTENT_LENGTH));
    assertThat(response.body()).isEqualTo(body.expectedDigest());
  }

  @Test
  void aLargeJsonBodyIsRedactedAndMaskedInBoundedMemory(E2eStack stack) throws InterruptedException {
    JsonRecordsBody body = new JsonRecordsBody(Long.getLong("extproc.transforms.largeJsonMiB", JSON_MIB) * 1024 * 1024);
    BodyDigest.Result expected = body.expectedAfter(() -> new Utf8Boundaries().andThen(cardMatcher())
        .andThen(new JsonMaskTransform(JsonMaskRule.parseList("password"), JsonMaskProcessorFactory.DEFAULT_MAX_HELD_BYTES,
            JsonMaskProcessorFactory.DEFAULT_MAX_TOKEN_BYTES)));
    assertThat(expected.length()).as("a password is 3 bytes after masking").isLessThan(body.length());
    TestResponse response = sendSampled(stack, Route.FULL_DUPLEX_STREAMED,
        TestRequest.post(Route.FULL_DUPLEX_STREAMED.path(), BodySource.of(body), Framing.CONTENT_LENGTH)
            .withHeader("content-type", "application/json"));
    assertThat(response.body()).isEqualTo(expected);
  }

  private static StreamingMatcher cardMatcher() {
    List<MatchRule> rules = new ArrayList<>();
    for (RedactRule rule : RedactRule.defaults()) {
      rules.add(rule.toMatchRule());
    }
    return new StreamingMatcher(rules);
  }

  /**
   * Sends {@code request} while sampling the server's heap every 200 ms; checks a complete 200, the
   * engine's bytes held and the heap.
   */
  private static TestResponse sendSampled(E2eStack stack, Route route, TestRequest request) throws InterruptedException {
    AtomicLong peakHeap = new AtomicLong();
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
    sampler.scheduleAtFixedRate(() -> {
      Map<String, Long> stats = stack.serverStats();
      peakHeap.accumulateAndGet(stats.getOrDefault("heap_used_bytes", 0L), Math::max);
    }, 0, 200, TimeUnit.MILLISECONDS);
    TestResponse response;
    long size = request.body().length();
    long started = System.nanoTime();
    try {
      // 1 GiB through STREAMED took 109 s on the shared machine at light load, 285 s at a load average of 50.
      response = stack.viaExtProc(Protocol.HTTP_1_1, request.withTimeout(Duration.ofMinutes(10)));
    } finally {
      sampler.shutdownNow();
      assertThat(sampler.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
    long millis = (System.nanoTime() - started) / 1_000_000;
    System.out.printf("large body: %s %d MiB in %d ms (%.1f MiB/s), server peak heap %d MiB, stats %s%n", route,
        size >> 20, millis, (size >> 20) * 1000.0 / millis, peakHeap.get() >> 20, stack.serverStats());
    assertThat(response.outcome()).as("%s", response).isEqualTo(TestResponse.Outcome.COMPLETE);
    assertThat(response.status()).isEqualTo(200);
    assertThat(stack.serverStats().get("peak_bytes_held_per_stream"))
        .as("the engine's bytes held per stream")
        .isLessThanOrEqualTo((long) ExtProcConfig.defaults().maxBytesHeldPerStream());
    assertThat(peakHeap.get()).as("server heap used, sampled every 200 ms").isPositive().isLessThan(HEAP_LIMIT);
    return response;
  }
}
