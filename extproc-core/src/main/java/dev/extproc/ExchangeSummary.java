package dev.extproc;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What one exchange did, reported once to {@link ExchangeObserver#onEnd} when its stream ended.
 * Carries no header values and no body bytes, so it is safe to log.
 *
 * @param id the exchange id ({@link ExchangeInfo#id()})
 * @param outcome how the stream ended
 * @param envoyCancelled whether Envoy cancelled or reset the stream (also after the last reply,
 *     Envoy's normal way of closing, in which case {@code outcome} is {@link ExchangeOutcome#COMPLETED})
 * @param requestMode the request body mode in force at the end
 * @param responseMode the response body mode in force at the end
 * @param messagesIn ProcessingRequest messages received
 * @param messagesOut ProcessingResponse messages sent
 * @param requestBytesIn request body bytes received from Envoy
 * @param requestBytesOut request body bytes sent back in replies
 * @param responseBytesIn response body bytes received from Envoy
 * @param responseBytesOut response body bytes sent back in replies
 * @param peakBytesHeld the most body bytes the stream held at once
 * @param duration from the stream's start to its end
 * @param failure for a failure outcome, the reason as sent in the gRPC status (names the rule or
 *     the processor event); otherwise null
 */
public record ExchangeSummary(
    String id,
    ExchangeOutcome outcome,
    boolean envoyCancelled,
    BodyMode requestMode,
    BodyMode responseMode,
    long messagesIn,
    long messagesOut,
    long requestBytesIn,
    long requestBytesOut,
    long responseBytesIn,
    long responseBytesOut,
    long peakBytesHeld,
    Duration duration,
    @Nullable String failure) {

  public ExchangeSummary {
    requireNonNull(id, "id");
    requireNonNull(outcome, "outcome");
    requireNonNull(requestMode, "requestMode");
    requireNonNull(responseMode, "responseMode");
    requireNonNull(duration, "duration");
  }
}
