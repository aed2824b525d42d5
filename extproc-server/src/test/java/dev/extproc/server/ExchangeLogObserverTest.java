package dev.extproc.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.extproc.BodyMode;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExchangeSummary;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ExchangeLogObserverTest {
  @Test
  void oneInfoLinePerExchange_withItsIdInTheMdc_andNoContent() {
    Logger logger = (Logger) LoggerFactory.getLogger(ExchangeLogObserver.LOGGER);
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    logger.addAppender(captured);
    try {
      new ExchangeLogObserver().onEnd(new ExchangeSummary("01HX-abc", ExchangeOutcome.CANCELLED, true,
          BodyMode.STREAMED, BodyMode.FULL_DUPLEX_STREAMED, 5, 4, 100, 90, 0, 0, 2048, Duration.ofMillis(1234), null));
    } finally {
      logger.detachAppender(captured);
    }
    assertThat(captured.list).hasSize(1);
    ILoggingEvent event = captured.list.get(0);
    assertThat(event.getLevel()).isEqualTo(ch.qos.logback.classic.Level.INFO);
    assertThat(event.getMDCPropertyMap()).containsEntry("exchange_id", "01HX-abc");
    assertThat(event.getFormattedMessage()).isEqualTo("exchange ended outcome=cancelled envoy_cancelled=true"
        + " request_mode=STREAMED response_mode=FULL_DUPLEX_STREAMED messages_in=5 messages_out=4 request_bytes_in=100"
        + " request_bytes_out=90 response_bytes_in=0 response_bytes_out=0 peak_bytes_held=2048 duration_ms=1234");
    assertThat(org.slf4j.MDC.get("exchange_id")).as("MDC restored").isNull();
  }
}
