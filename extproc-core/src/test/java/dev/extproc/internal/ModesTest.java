package dev.extproc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import org.junit.jupiter.api.Test;

class ModesTest {
  private static final ProcessingMode CURRENT = ProcessingMode.newBuilder()
      .setRequestHeaderMode(HeaderSendMode.SEND)
      .setResponseHeaderMode(HeaderSendMode.SEND)
      .setRequestBodyMode(BodySendMode.STREAMED)
      .setResponseBodyMode(BodySendMode.BUFFERED)
      .setRequestTrailerMode(HeaderSendMode.SEND)
      .setResponseTrailerMode(HeaderSendMode.SKIP)
      .build();

  @Test
  void overrideTakesBothBodyModesLiterallyAndKeepsDefaultHeaderModes() {
    ProcessingMode override = ProcessingMode.newBuilder().setResponseHeaderMode(HeaderSendMode.SKIP).build();
    ProcessingMode merged = Modes.merge(CURRENT, override);
    assertThat(merged.getRequestBodyMode()).isEqualTo(BodySendMode.NONE);
    assertThat(merged.getResponseBodyMode()).isEqualTo(BodySendMode.NONE);
    assertThat(merged.getResponseHeaderMode()).isEqualTo(HeaderSendMode.SKIP);
    assertThat(merged.getRequestHeaderMode()).isEqualTo(HeaderSendMode.SEND);
    assertThat(merged.getRequestTrailerMode()).isEqualTo(HeaderSendMode.SEND);
    assertThat(merged.getResponseTrailerMode()).isEqualTo(HeaderSendMode.SKIP);
  }

  @Test
  void protocolConfigSetsTheInitialBodyModes() {
    ProcessingMode initial = Modes.initial(CURRENT, io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration.newBuilder()
        .setRequestBodyMode(BodySendMode.FULL_DUPLEX_STREAMED).setResponseBodyMode(BodySendMode.NONE).build());
    assertThat(initial.getRequestBodyMode()).isEqualTo(BodySendMode.FULL_DUPLEX_STREAMED);
    assertThat(initial.getResponseBodyMode()).isEqualTo(BodySendMode.NONE);
    assertThat(Modes.initial(CURRENT, null)).isEqualTo(CURRENT);
  }
}
