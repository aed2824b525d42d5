package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Both log formats: ISO-8601 time with zone, the exchange id from the MDC, sensitive header values redacted. */
class LogSetupTest {
  private final LoggerContext context = new LoggerContext();

  private String encode(String format, String message, Map<String, String> mdc) {
    Encoder<ILoggingEvent> encoder = LogSetup.encoder(context, format, List.of("x-api-key"));
    LoggingEvent event = new LoggingEvent("test", context.getLogger("dev.extproc.test"), Level.INFO, message, null, null);
    event.setMDCPropertyMap(mdc);
    return new String(encoder.encode(event), StandardCharsets.UTF_8);
  }

  @Test
  void json_hasIsoTimestampWithZone_exchangeId_andRedactsSensitiveValues() throws Exception {
    String line = encode("json", "upstream said authorization: Bearer s3cr3t-token, cookie=a=1; b=2",
        Map.of("exchange_id", "ex-42"));
    assertThat(line).endsWith("\n").doesNotContain("s3cr3t").doesNotContain("b=2");
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(OffsetDateTime.parse(json.get("@timestamp").asText())).isNotNull();
    assertThat(json.get("level").asText()).isEqualTo("INFO");
    assertThat(json.get("exchange_id").asText()).isEqualTo("ex-42");
    assertThat(json.get("message").asText()).isEqualTo("upstream said authorization: <redacted>");
    assertThat(encode("json", "X-Api-Key=abc123", Map.of())).doesNotContain("abc123").contains("X-Api-Key=<redacted>");
  }

  @Test
  void text_hasIsoTimestampWithZone_exchangeId_andRedactsSensitiveValues() {
    String line = encode("text", "set-cookie: session=s3cr3t", Map.of("exchange_id", "ex-7"));
    assertThat(line).matches("(?s)\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO .*")
        .contains(" exchange=ex-7 - set-cookie: <redacted>").doesNotContain("s3cr3t");
    assertThat(encode("text", "proxy-authorization=Basic Zm9vOmJhcg==", Map.of()))
        .doesNotContain("Zm9v").doesNotContain("exchange=");
    assertThat(encode("text", "nothing secret here", Map.of())).contains(" - nothing secret here");
  }
}
