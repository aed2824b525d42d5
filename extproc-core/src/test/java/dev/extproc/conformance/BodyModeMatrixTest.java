package dev.extproc.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.Direction;
import dev.extproc.PassthroughProcessor;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Digest;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.Framing;
import dev.extproc.testing.Headers;
import dev.extproc.testing.HttpMessage;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every body mode in both directions, with bodies of 0 B, 1 B, 64 KiB, 1 MiB + 1, with and without
 * trailers, HTTP/1 (empty last chunk) and HTTP/2 framing, through a pass-through and a
 * byte-changing processor; FakeEnvoy checks every reply the way Envoy does.
 */
@Timeout(120)
class BodyModeMatrixTest {
  private static final BodySendMode[] MODES = {
    BodySendMode.NONE, BodySendMode.STREAMED, BodySendMode.BUFFERED,
    BodySendMode.BUFFERED_PARTIAL, BodySendMode.FULL_DUPLEX_STREAMED
  };
  private static final long[] SIZES = {0, 1, 64 * 1024, 1024 * 1024 + 1};

  private static Engine passthrough;
  private static Engine xor;

  @BeforeAll
  static void start() {
    passthrough = Engine.start(PassthroughProcessor.factory());
    xor = Engine.start(exchange -> new TestProcessors.XorProcessor());
  }

  @AfterAll
  static void stop() {
    passthrough.close();
    xor.close();
  }

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (Direction direction : Direction.values()) {
      for (BodySendMode mode : MODES) {
        for (long size : SIZES) {
          for (boolean trailers : new boolean[] {false, true}) {
            for (boolean changeBytes : new boolean[] {false, true}) {
              cases.add(Arguments.of(direction, mode, size, trailers, changeBytes, Framing.HTTP1));
            }
          }
          cases.add(Arguments.of(direction, mode, size, false, true, Framing.HTTP2));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2} bytes, trailers {3}, changing bytes {4}, {5}")
  @MethodSource("cases")
  void bodyModeDirection_deliversExpectedBytes(
      Direction direction, BodySendMode mode, long size, boolean trailers, boolean changeBytes, Framing framing) {
    BodySource body = BodySource.random(size, size * 31 + mode.getNumber());
    Exchange.Builder exchange = Exchange.builder()
        .trailerMode(HeaderSendMode.SEND)
        .framing(framing)
        // BUFFERED must hold the whole body; BUFFERED_PARTIAL keeps Envoy's 1 MiB default.
        .bufferLimit(mode == BodySendMode.BUFFERED ? 2 * 1024 * 1024 : 1024 * 1024);
    Headers someTrailers = trailers ? Headers.of("x-checksum", "abc") : null;
    if (direction == Direction.REQUEST) {
      exchange.requestBodyMode(mode).requestBody(body).requestTrailers(someTrailers);
    } else {
      exchange.responseBodyMode(mode).responseBody(body).responseTrailers(someTrailers);
    }

    ExchangeResult result = (changeBytes ? xor : passthrough).run(exchange.build());

    assertThat(result.status()).as(result.summary()).isEqualTo(200);
    HttpMessage processed = direction == Direction.REQUEST ? result.upstream() : result.client();
    boolean bytesChange = changeBytes && mode != BodySendMode.NONE;
    Digest expected = bytesChange ? TestProcessors.xorDigest(body) : body.digest();
    assertThat(processed.body().digest()).as(result.summary()).isEqualTo(expected);
    assertThat(processed.complete()).isTrue();
    if (trailers) {
      assertThat(processed.trailers()).isEqualTo(someTrailers);
    } else {
      assertThat(processed.trailers()).isNull();
    }
  }
}
