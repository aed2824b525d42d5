package dev.extproc.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.ProcessorFactory;
import dev.extproc.sse.GuardrailProcessor;
import dev.extproc.sse.LlmUsage;
import dev.extproc.sse.LlmUsageProcessor;
import dev.extproc.sse.ResponseModeSelector;

/** The LLM processors of the CLI: {@code llm-usage} (token usage as Envoy dynamic metadata, {@code extproc.llm}) and {@code guardrail}. */
final class LlmUsageFactory {
  /** The largest event followed, and the largest JSON answer read. */
  static final int MAX_EVENT_BYTES = 4 * 1024 * 1024;
  static final int MAX_JSON_BYTES = 4 * 1024 * 1024;

  private final ObjectMapper json = new ObjectMapper();
  private final LongAdder answers = new LongAdder();
  private final LongAdder answersUsageUnknown = new LongAdder();
  private final LongAdder inputTokens = new LongAdder();
  private final LongAdder outputTokens = new LongAdder();
  private final LongAdder errors = new LongAdder();

  private final String usageTrailer;

  /** {@code --processor llm-usage}: one factory per server, counting every answer it accounts. */
  LlmUsageFactory() {
    this(null);
  }

  /**
   * {@code --processor llm-usage --llm-usage-trailer NAME}.
   *
   * @param usageTrailer the response trailer that also carries the usage, or null for none
   */
  LlmUsageFactory(String usageTrailer) {
    this.usageTrailer = usageTrailer;
  }

  /** Returns the processors' factory: usage to Envoy as dynamic metadata, and into the counters. */
  ProcessorFactory factory() {
    return exchange -> ExchangeHandler.of(new DirectionProcessor() {},
        new LlmUsageProcessor(json, System::nanoTime, MAX_EVENT_BYTES, MAX_JSON_BYTES, this::count, usageTrailer));
  }

  /**
   * Returns the server's counters of accounted answers, exported as {@code extproc_<name>_total}:
   * answers, answers whose output tokens stayed unknown, input and output tokens, and answers that
   * carried a provider error.
   */
  Map<String, LongSupplier> counters() {
    Map<String, LongSupplier> counters = new LinkedHashMap<>();
    counters.put("llm_answers", answers::sum);
    counters.put("llm_answers_usage_unknown", answersUsageUnknown::sum);
    counters.put("llm_input_tokens", inputTokens::sum);
    counters.put("llm_output_tokens", outputTokens::sum);
    counters.put("llm_errors", errors::sum);
    return counters;
  }

  private void count(LlmUsage usage) {
    answers.increment();
    if (usage.outputTokens() < 0) {
      answersUsageUnknown.increment();
    }
    inputTokens.add(Math.max(0, usage.inputTokens()));
    outputTokens.add(Math.max(0, usage.outputTokens()));
    if (usage.error() != null) {
      errors.increment();
    }
  }

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

  /** Returns a factory of its own (counters not exported): for tests and embedding. */
  static ProcessorFactory create() {
    return new LlmUsageFactory().factory();
  }

}
