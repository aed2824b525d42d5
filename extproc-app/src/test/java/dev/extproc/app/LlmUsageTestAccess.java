package dev.extproc.app;

import dev.extproc.ProcessorFactory;

/** Lets tests in other packages build the {@code --processor llm-usage} factory. */
public final class LlmUsageTestAccess {
  private LlmUsageTestAccess() {}

  public static ProcessorFactory factory() {
    return LlmUsageFactory.create();
  }

  /** {@code --processor mode-select,llm-usage}. */
  public static ProcessorFactory modeSelectThenUsage() {
    return dev.extproc.ProcessorChain.factory(java.util.List.of(LlmUsageFactory.modeSelect(), LlmUsageFactory.create()));
  }

  /** {@code --processor guardrail --blocked-phrases ...}. */
  public static ProcessorFactory guardrail(java.util.List<String> phrases) {
    return LlmUsageFactory.guardrail(phrases);
  }
}
