package dev.extproc.app.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.grpc.Channel;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The smallest sequences the fuzzer found that the first engine got wrong (issue #9 items 1 and 3:
 * an unparseable message leaked the exchange; an unknown enum value was an engine error), as
 * raw-bytes streams over the in-process transport and over Netty. They failed before the engine v2
 * fixes and must keep passing.
 */
@Timeout(60)
class FuzzFoundRegressionTest {
  private FuzzTarget target;

  @BeforeEach
  void start() throws Exception {
    target = new FuzzTarget();
  }

  @AfterEach
  void stop() throws Exception {
    target.close();
  }

  private RawProcessCall.Result send(Channel channel, List<byte[]> frames) throws InterruptedException {
    List<String> labels = frames.stream().map(f -> "frame").toList();
    return RawProcessCall.run(channel, new FuzzCase(FuzzCase.Kind.PLAUSIBLE, frames, labels, FuzzCase.Ending.HALF_CLOSE), Duration.ofSeconds(10));
  }

  private void assertNothingLeft() throws InterruptedException {
    FuzzReport.Leftovers left = target.settle(Duration.ofSeconds(10));
    assertThat(left.clean()).as("%s", left).isTrue();
  }

  /** The sequence: request headers, body "abc", 3 bytes ff ff ff as a message, body "def". */
  @Test
  void unparseableMessage_invalidArgumentNamingIt_exchangeClosedOnce_nothingLeft() throws Exception {
    List<byte[]> frames =
        List.of(
            FuzzCases.first(BodySendMode.STREAMED, BodySendMode.STREAMED).toByteArray(),
            FuzzCases.body(true, ByteString.copyFromUtf8("abc"), false).toByteArray(),
            new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff},
            FuzzCases.body(true, ByteString.copyFromUtf8("def"), false).toByteArray());
    for (Channel channel : List.of(target.inProcess(), target.netty())) {
      long protocolErrors = target.stats().protocolErrors();

      RawProcessCall.Result result = send(channel, frames);

      assertThat(result.status()).isNotNull();
      assertThat(result.status().getCode()).as("%s", result.status()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(result.status().getDescription()).contains("does not parse");
      assertNothingLeft();
      assertThat(target.stats().protocolErrors()).isEqualTo(protocolErrors + 1);
    }
  }

  /** protocol_config with request_body_mode 99. */
  @Test
  void unknownEnumValue_invalidArgumentNamingFieldAndValue_nothingLeft() throws Exception {
    byte[] first =
        FuzzCases.headers(true, false).toBuilder()
            .setProtocolConfig(ProtocolConfiguration.newBuilder().setRequestBodyModeValue(99))
            .build()
            .toByteArray();
    long protocolErrors = target.stats().protocolErrors();

    RawProcessCall.Result result = send(target.inProcess(), List.of(first));

    assertThat(result.status()).isNotNull();
    assertThat(result.status().getCode()).as("%s", result.status()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(result.status().getDescription()).contains("request_body_mode").contains("99");
    assertNothingLeft();
    assertThat(target.stats().protocolErrors()).isEqualTo(protocolErrors + 1);
  }
}
