package dev.extproc.app;

import dev.extproc.PassthroughProcessor;
import dev.extproc.ProcessorFactory;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import picocli.CommandLine.Option;

/**
 * The {@code server} options that choose and configure processors ({@code --processor} and each
 * processor's own options), turned into a {@link ProcessorSetup}.
 */
final class ProcessorOptions {

  @Option(
      names = "--processor",
      split = ",",
      defaultValue = "passthrough",
      description = "Processors to chain, in order (default: ${DEFAULT-VALUE}). Known: passthrough.")
  List<String> processors;

  /** Builds the processor chain the options describe; fails with a clear message on bad options. */
  ProcessorSetup toSetup() {
    for (String name : processors) {
      if (!name.equals("passthrough")) {
        throw new IllegalArgumentException("--processor: " + name + " (expected: passthrough)");
      }
    }
    return new ProcessorSetup(PassthroughProcessor.factory(), Map.of(), () -> {});
  }

  /**
   * The processors of a server: the factory, gauges the server exports beside its own (for
   * example open capture files), and what to close when the server stops.
   */
  record ProcessorSetup(ProcessorFactory factory, Map<String, LongSupplier> gauges, AutoCloseable resources) {}
}
