package dev.extproc.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.Direction;
import dev.extproc.ExtProcConfig;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.HttpMessage;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** 64 MiB bodies in the streaming modes: byte-exact, and the bytes held per stream stay bounded. */
@Timeout(120)
class LargeBodyTest {
  private static final long SIZE = 64L * 1024 * 1024;

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "REQUEST, STREAMED", "REQUEST, FULL_DUPLEX_STREAMED",
    "RESPONSE, STREAMED", "RESPONSE, FULL_DUPLEX_STREAMED"
  })
  void body64MiB_byteExact_bytesHeldPerStreamUnderConfiguredBound(Direction direction, BodySendMode mode) {
    // A small body-message bound makes the memory bound tight: ~3 MiB per stream for a 64 MiB body.
    ExtProcConfig config = ExtProcConfig.defaults().withMaxBodyMessageBytes(1024 * 1024);
    BodySource body = BodySource.random(SIZE, 64);
    try (Engine engine = Engine.start(exchange -> new TestProcessors.XorProcessor(), config)) {
      Exchange.Builder exchange = Exchange.builder().trailerMode(HeaderSendMode.SEND).chunkSize(64 * 1024);
      if (direction == Direction.REQUEST) {
        exchange.requestBodyMode(mode).requestBody(body);
      } else {
        exchange.responseBodyMode(mode).responseBody(body);
      }

      ExchangeResult result = engine.run(exchange.build());

      HttpMessage processed = direction == Direction.REQUEST ? result.upstream() : result.client();
      assertThat(processed.body().digest()).isEqualTo(TestProcessors.xorDigest(body));
      assertThat(engine.stats().peakBytesHeldPerStream())
          .as("peak bytes held per stream (bound %d)", config.maxBytesHeldPerStream())
          .isPositive()
          .isLessThan(config.maxBytesHeldPerStream());
      engine.awaitIdle();
    }
  }
}
