package dev.extproc.server;

import dev.extproc.ExchangeObserver;
import dev.extproc.ExchangeSummary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Logs one INFO line per exchange when it ends, on the logger {@value #LOGGER}: outcome, body
 * modes, messages and body bytes each way, peak bytes held, duration, and the failure reason for a
 * failure. Never a header value or a body byte ({@link ExchangeSummary} carries none). The line
 * carries the exchange id in the MDC key {@value #MDC_KEY} like every other line of the exchange.
 * Thread-safe.
 */
public final class ExchangeLogObserver implements ExchangeObserver {
  /** The logger the summary lines go to; set it to WARN to silence them. */
  public static final String LOGGER = "dev.extproc.exchange";
  /** The MDC key that holds the exchange id. */
  public static final String MDC_KEY = "exchange_id";

  private static final Logger log = LoggerFactory.getLogger(LOGGER);

  @Override
  public void onEnd(ExchangeSummary s) {
    if (!log.isInfoEnabled()) {
      return;
    }
    String previous = MDC.get(MDC_KEY);
    MDC.put(MDC_KEY, s.id());
    try {
      log.info("exchange ended outcome={} envoy_cancelled={} request_mode={} response_mode={} messages_in={}"
              + " messages_out={} request_bytes_in={} request_bytes_out={} response_bytes_in={}"
              + " response_bytes_out={} peak_bytes_held={} duration_ms={}{}",
          MetricsObserver.outcomeLabel(s.outcome()), s.envoyCancelled(), s.requestMode(), s.responseMode(),
          s.messagesIn(), s.messagesOut(), s.requestBytesIn(), s.requestBytesOut(), s.responseBytesIn(),
          s.responseBytesOut(), s.peakBytesHeld(), s.duration().toMillis(),
          s.failure() == null ? "" : " failure=\"" + s.failure() + "\"");
    } finally {
      if (previous == null) {
        MDC.remove(MDC_KEY);
      } else {
        MDC.put(MDC_KEY, previous);
      }
    }
  }
}
