package dev.extproc.app;

import dev.extproc.ProcessorFactory;

/** Lets tests in other packages build the {@code --processor llm-usage} factory. */
public final class LlmUsageTestAccess {
  private LlmUsageTestAccess() {}

  public static ProcessorFactory factory() {
    return LlmUsageFactory.create();
  }
}
