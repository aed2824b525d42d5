package dev.extproc.app;

import dev.extproc.ExtProcConfig;
import dev.extproc.PassthroughProcessor;
import dev.extproc.ProcessorChain;
import dev.extproc.ProcessorFactory;
import dev.extproc.processors.CaptureProcessorFactory;
import dev.extproc.processors.DelayProcessorFactory;
import dev.extproc.processors.DuplexReplace;
import dev.extproc.processors.FileIo;
import dev.extproc.processors.ReplaceProcessorFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import picocli.CommandLine.Option;

/**
 * The {@code server} options that choose and configure processors ({@code --processor} and each
 * processor's own options), turned into a {@link ProcessorSetup}.
 *
 * <p>{@code --processor} is a comma-separated chain, applied in order (see {@link ProcessorChain}):
 * {@code capture,replace} captures the original bodies and sends the replacements (the seed's
 * setup); {@code replace,capture} captures the replacements, i.e. what Envoy receives.
 */
final class ProcessorOptions {
  static final List<String> NAMES = List.of("passthrough", "capture", "replace", "delay", "redact", "json-mask", "limit",
      "llm-usage", "guardrail", "mode-select");

  @Option(
      names = "--processor",
      split = ",",
      defaultValue = "passthrough",
      description = "Processors to chain, in order (default: ${DEFAULT-VALUE}). Known: passthrough, capture, replace, delay,"
          + " redact, json-mask, limit.")
  List<String> processors;

  @Option(
      names = {"--capture-dir", "--write-data-to-file"},
      description = "capture: directory of the capture files <exchange id>.request.body and <exchange id>.response.body"
          + " (.partial while being written); created when missing. --write-data-to-file is the seed's name.")
  Path captureDir;

  @Option(
      names = "--blocked-phrases",
      split = ",",
      paramLabel = "LIST",
      description = "guardrail: comma-separated phrases that stop an LLM answer (case-insensitive, across events).")
  List<String> blockedPhrases;

  @Option(
      names = "--llm-usage-trailer",
      paramLabel = "NAME",
      description = "llm-usage: also set response trailer NAME to the usage (model=...; input_tokens=...; ...) when the"
          + " answer has trailers (Envoy never adds trailers itself; see docs/sse.md).")
  String llmUsageTrailer;

  @Option(names = "--replace-request-body", description = "replace: file whose content replaces every request body.")
  Path replaceRequestBody;

  @Option(names = "--replace-response-body", description = "replace: file whose content replaces every response body.")
  Path replaceResponseBody;

  @Option(
      names = "--duplex-replace",
      defaultValue = "after-end",
      description = "replace in FULL_DUPLEX_STREAMED: after-end (the seed's: drop the incoming body, stream the"
          + " replacement at its end), eager (stream the replacement from the first chunk on) or paced (write the"
          + " replacement only while it stays within the incoming bytes seen plus --replace-pace-budget, the rest at"
          + " the end) (default: ${DEFAULT-VALUE}).")
  String duplexReplace;

  @Option(
      names = "--replace-pace-budget",
      paramLabel = "SIZE",
      description = "replace with --duplex-replace paced: how far the replacement may run ahead of the incoming body,"
          + " e.g. 256KiB (default: 1MiB).")
  String replacePaceBudget;

  @Option(
      names = "--delay",
      description = "delay: time added to every message (headers, each body chunk, end, trailers), e.g. 1ms, 250us"
          + " (default when delay is in the chain: 1ms, the seed's sleep).")
  String delay;

  @picocli.CommandLine.Mixin
  TransformOptions transforms = new TransformOptions();

  @Option(
      names = "--select-config",
      paramLabel = "FILE",
      description = "A processor chain per kind of exchange (path, host, content-type, content-encoding), one rule per"
          + " line; --processor is the chain of unmatched exchanges. See docs/transforms.md.")
  Path selectConfig;

  @Option(
      names = "--file-io-threads",
      defaultValue = "4",
      description = "Threads doing the file I/O of capture and replace (default: ${DEFAULT-VALUE}).")
  int fileIoThreads;

  /** Builds the processor chain with the engine's default limits; see {@link #toSetup(ExtProcConfig)}. */
  ProcessorSetup toSetup() {
    return toSetup(ExtProcConfig.defaults());
  }

  /**
   * Builds the processor chain the options describe, sized for {@code config} (replace's
   * largest reply is its {@code maxBodyMessageBytes}, its pieces {@code maxChunkBytes}).
   *
   * @throws IllegalArgumentException naming the option, on unknown processors, missing or
   *     unused options, or unusable files
   */
  ProcessorSetup toSetup(ExtProcConfig config) {
    if (selectConfig != null) {
      Path file = selectConfig;
      selectConfig = null;
      try {
        return SelectConfig.read(file, toSetup(config), config);
      } finally {
        selectConfig = file;
      }
    }
    List<String> names = names();
    Set<String> used = new HashSet<>(names);
    requireOnlyWith(used, "capture", "--capture-dir", captureDir);
    requireOnlyWith(used, "replace", "--replace-request-body", replaceRequestBody);
    requireOnlyWith(used, "replace", "--replace-response-body", replaceResponseBody);
    requireOnlyWith(used, "delay", "--delay", delay);
    transforms.requireUsed(used);
    DuplexReplace strategy;
    try {
      strategy = DuplexReplace.parse(duplexReplace);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--duplex-replace: " + duplexReplace + " (expected: after-end, eager or paced)", e);
    }
    requireOnlyWith(used, "replace", "--replace-pace-budget", replacePaceBudget);
    long paceBudget = ReplaceProcessorFactory.DEFAULT_PACE_BUDGET_BYTES;
    if (replacePaceBudget != null) {
      if (strategy != DuplexReplace.PACED) {
        throw new IllegalArgumentException(
            "--replace-pace-budget is given but --duplex-replace is " + strategy + " (expected: --duplex-replace paced)");
      }
      try {
        paceBudget = Sizes.parseBytes(replacePaceBudget);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "--replace-pace-budget: " + replacePaceBudget + " (expected: a byte count such as 65536, 256KiB or 1MiB)", e);
      }
    }
    if (used.contains("capture") && captureDir == null) {
      throw new IllegalArgumentException("--processor capture needs --capture-dir DIR (alias --write-data-to-file DIR)");
    }
    if (used.contains("replace") && replaceRequestBody == null && replaceResponseBody == null) {
      throw new IllegalArgumentException(
          "--processor replace needs --replace-request-body FILE and/or --replace-response-body FILE");
    }
    requireOnlyWith(used, "guardrail", "--blocked-phrases", blockedPhrases);
    if (used.contains("guardrail") && (blockedPhrases == null || blockedPhrases.isEmpty())) {
      throw new IllegalArgumentException("--processor guardrail needs --blocked-phrases LIST");
    }
    requireOnlyWith(used, "llm-usage", "--llm-usage-trailer", llmUsageTrailer);
    if (llmUsageTrailer != null && !llmUsageTrailer.matches("[a-z0-9!#$%&'*+.^_`|~-]+")) {
      throw new IllegalArgumentException("--llm-usage-trailer: " + llmUsageTrailer
          + " (expected: a lower-case header name such as x-llm-usage)");
    }
    if (fileIoThreads < 1) {
      throw new IllegalArgumentException("--file-io-threads: " + fileIoThreads + " (expected: >= 1)");
    }

    ExecutorService io = used.contains("capture") || used.contains("replace") ? FileIo.newExecutor("extproc-file-io", fileIoThreads) : null;
    try {
      List<ProcessorFactory> factories = new ArrayList<>();
      Map<String, LongSupplier> gauges = new LinkedHashMap<>();
      Map<String, LongSupplier> counters = new LinkedHashMap<>();
      for (String name : names) {
        switch (name) {
          case "passthrough":
            factories.add(PassthroughProcessor.factory());
            break;
          case "capture":
            CaptureProcessorFactory capture = capture(io);
            factories.add(capture);
            gauges.putAll(capture.gauges());
            break;
          case "replace":
            ReplaceProcessorFactory replace = replace(io, strategy, paceBudget, config);
            factories.add(replace);
            gauges.putAll(replace.gauges());
            break;
          case "delay":
            factories.add(delay());
            break;
          case "redact":
          case "json-mask":
          case "limit":
            factories.add(transforms.factory(name));
            break;
          case "llm-usage":
            LlmUsageFactory llm = new LlmUsageFactory(llmUsageTrailer);
            factories.add(llm.factory());
            counters.putAll(llm.counters());
            break;
          case "guardrail":
            factories.add(LlmUsageFactory.guardrail(blockedPhrases));
            break;
          case "mode-select":
            factories.add(LlmUsageFactory.modeSelect());
            break;
          default:
            throw new IllegalStateException("unreachable: " + name);
        }
      }
      return new ProcessorSetup(ProcessorChain.factory(factories), Map.copyOf(gauges), Map.copyOf(counters), () -> shutdown(io));
    } catch (RuntimeException e) {
      shutdown(io);
      throw e;
    }
  }

  private List<String> names() {
    List<String> names = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String raw : processors) {
      String name = raw.trim().toLowerCase(Locale.ROOT);
      if (name.isEmpty()) {
        continue;
      }
      if (!NAMES.contains(name)) {
        throw new IllegalArgumentException(
            "--processor: " + raw + " (expected: a comma-separated list of " + String.join(", ", NAMES) + ")");
      }
      if ((name.equals("capture") || name.equals("replace")) && !seen.add(name)) {
        throw new IllegalArgumentException("--processor: " + name + " appears twice (expected: capture and replace at most once each)");
      }
      names.add(name);
    }
    if (names.isEmpty()) {
      throw new IllegalArgumentException("--processor: empty (expected: a comma-separated list of " + String.join(", ", NAMES) + ")");
    }
    return names;
  }

  private static void requireOnlyWith(Set<String> used, String processor, String option, Object value) {
    if (value != null && !used.contains(processor)) {
      throw new IllegalArgumentException(
          option + " is given but " + processor + " is not in --processor (expected: --processor ..." + processor + "...)");
    }
  }

  private CaptureProcessorFactory capture(ExecutorService io) {
    try {
      return CaptureProcessorFactory.create(captureDir, io);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--capture-dir: " + captureDir + " (expected: a writable directory, created when missing): "
          + (e.getCause() != null ? e.getCause().toString() : e.getMessage()), e);
    }
  }

  private ReplaceProcessorFactory replace(ExecutorService io, DuplexReplace strategy, long paceBudget, ExtProcConfig config) {
    ReplaceProcessorFactory.Builder builder =
        ReplaceProcessorFactory.builder(io)
            .duplexReplace(strategy)
            .paceBudgetBytes(paceBudget)
            .chunkBytes(config.maxChunkBytes())
            .maxReplyBytes(config.maxBodyMessageBytes());
    if (replaceRequestBody != null) {
      try {
        builder.requestBody(replaceRequestBody);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--replace-request-body: " + replaceRequestBody + " (expected: a readable regular file)", e);
      }
    }
    if (replaceResponseBody != null) {
      try {
        builder.responseBody(replaceResponseBody);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--replace-response-body: " + replaceResponseBody + " (expected: a readable regular file)", e);
      }
    }
    return builder.build();
  }

  private DelayProcessorFactory delay() {
    Duration value;
    try {
      value = delay == null ? Duration.ofMillis(1) : DelayProcessorFactory.parseDuration(delay);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--delay: " + delay + " (expected: e.g. 1ms, 250us, 2s)", e);
    }
    return DelayProcessorFactory.of(value);
  }

  private static void shutdown(ExecutorService io) {
    if (io == null) {
      return;
    }
    io.shutdown();
    try {
      if (!io.awaitTermination(5, TimeUnit.SECONDS)) {
        io.shutdownNow();
      }
    } catch (InterruptedException e) {
      io.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The processors of a server: the factory, gauges the server exports beside its own (for
   * example open capture files), and what to close when the server stops.
   */
  record ProcessorSetup(ProcessorFactory factory, Map<String, LongSupplier> gauges, Map<String, LongSupplier> counters,
      AutoCloseable resources) {

    ProcessorSetup(ProcessorFactory factory, Map<String, LongSupplier> gauges, AutoCloseable resources) {
      this(factory, gauges, Map.of(), resources);
    }
  }
}
