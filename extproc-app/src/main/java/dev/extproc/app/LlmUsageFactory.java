package dev.extproc.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.ProcessorFactory;
import dev.extproc.sse.LlmUsageProcessor;

/** {@code --processor llm-usage}: token usage of LLM answers as Envoy dynamic metadata ({@code extproc.llm}). */
final class LlmUsageFactory {
  /** The largest event followed, and the largest JSON answer read. */
  static final int MAX_EVENT_BYTES = 4 * 1024 * 1024;
  static final int MAX_JSON_BYTES = 4 * 1024 * 1024;

  private LlmUsageFactory() {}

  static ProcessorFactory create() {
    ObjectMapper json = new ObjectMapper();
    return exchange -> ExchangeHandler.of(new DirectionProcessor() {},
        new LlmUsageProcessor(json, System::nanoTime, MAX_EVENT_BYTES, MAX_JSON_BYTES, usage -> {}));
  }
}
