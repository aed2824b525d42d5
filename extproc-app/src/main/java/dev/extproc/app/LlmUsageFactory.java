package dev.extproc.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.ProcessorFactory;
import dev.extproc.sse.GuardrailProcessor;
import dev.extproc.sse.LlmUsageProcessor;
import dev.extproc.sse.ResponseModeSelector;

/** The LLM processors of the CLI: {@code llm-usage} (token usage as Envoy dynamic metadata, {@code extproc.llm}) and {@code guardrail}. */
final class LlmUsageFactory {
  /** The largest event followed, and the largest JSON answer read. */
  static final int MAX_EVENT_BYTES = 4 * 1024 * 1024;
  static final int MAX_JSON_BYTES = 4 * 1024 * 1024;

  private LlmUsageFactory() {}

  /** {@code --processor guardrail}: stops LLM answers at the first blocked phrase. */
  static ProcessorFactory guardrail(java.util.List<String> phrases) {
    ObjectMapper json = new ObjectMapper();
    java.util.List<String> copy = java.util.List.copyOf(phrases);
    new GuardrailProcessor(json, copy, MAX_EVENT_BYTES); // fails here, at start-up, on an empty phrase
    return exchange -> ExchangeHandler.of(new DirectionProcessor() {}, new GuardrailProcessor(json, copy, MAX_EVENT_BYTES));
  }

  /**
   * {@code --processor mode-select}: the response body mode per request from its headers (event
   * streams FULL_DUPLEX_STREAMED, JSON up to Envoy's default 1 MiB buffer BUFFERED, the rest NONE);
   * needs {@code --mode-override-allowed} and Envoy's {@code allow_mode_override}.
   */
  static ProcessorFactory modeSelect() {
    return exchange -> ExchangeHandler.of(new DirectionProcessor() {},
        new ResponseModeSelector(new DirectionProcessor() {}, 1024 * 1024));
  }

  static ProcessorFactory create() {
    ObjectMapper json = new ObjectMapper();
    return exchange -> ExchangeHandler.of(new DirectionProcessor() {},
        new LlmUsageProcessor(json, System::nanoTime, MAX_EVENT_BYTES, MAX_JSON_BYTES, usage -> {}));
  }
}
