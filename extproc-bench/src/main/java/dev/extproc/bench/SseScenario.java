package dev.extproc.bench;

import com.google.protobuf.ByteString;
import dev.extproc.sse.LlmFormat;
import dev.extproc.sse.SyntheticLlmStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code sse} scenario: concurrent long LLM event streams from the stack's {@code extproc
 * llm-stub} (OpenAI Chat format, events at full speed) through Envoy's {@code /llm} route, where the
 * ext_proc server picks FULL_DUPLEX_STREAMED from the response headers ({@code mode-select}) and
 * accounts the token usage ({@code llm-usage}), and through the baseline listener's {@code /llm}
 * (no ext_proc). Every stream is verified byte for byte (length and SHA-256 of the stub's stream).
 *
 * <p>Two variants: {@code full-speed} (events per second, memory) and {@code paced} (time to first
 * byte on a machine that is not saturated by the streams themselves). Beside the report's usual figures, each route's directory gets {@value #FIGURES_FILE}: time
 * to first byte (the response head) median and p99, and events per second, so the time ext_proc
 * adds to the first byte reads against the baseline's.
 */
public final class SseScenario {
  /** The stub's answer format. */
  public static final LlmFormat FORMAT = LlmFormat.OPENAI_CHAT;
  /** Content events per stream: about 3.5 MiB, far longer than an LLM answer. */
  public static final int EVENTS = 20_000;
  /** Input tokens the stub reports (its command's default). */
  static final long INPUT_TOKENS = 12;
  static final String MODEL = "stub-model";
  /** The stub's arguments: every stream is {@link #EVENTS} events at full speed. */
  public static final List<String> STUB_ARGS = List.of("--format", FORMAT.flag(), "--events", Integer.toString(EVENTS),
      "--rate", "0", "--model", MODEL, "--input-tokens", Long.toString(INPUT_TOKENS));
  /** The ext_proc server's processors: the body mode per response, then the usage. */
  public static final List<String> SERVER_ARGS = List.of("--processor", "mode-select,llm-usage", "--mode-override-allowed");
  /** The per-route file of the SSE figures. */
  public static final String FIGURES_FILE = "sse-figures.txt";

  private SseScenario() {}

  /** Returns whether {@code route} goes to the stack's LLM upstream (then the stack runs the llm-stub). */
  public static boolean servesLlm(Route route) {
    return route.path().startsWith("/llm");
  }

  /** Events of a paced answer ({@link Route#LLM_PACED}: 500 at 50 per second, 10 s). */
  static final int PACED_EVENTS = 500;

  /**
   * The plans of {@code --scenario sse}, per concurrency (default 10): {@code full-speed} ({@link
   * #EVENTS} events as fast as the client reads, routes {@code /llm} and {@code llm-baseline}: events
   * per second and memory) and {@code paced} ({@link #PACED_EVENTS} events at 50 per second, routes
   * {@code /llm-paced} and {@code llm-paced-baseline}: the time to first byte ext_proc adds when the
   * machine is not saturated). {@code --routes} does not apply.
   */
  static List<ScenarioPlan> plans(BenchOptions options) throws IOException {
    Path request = requestFile(options.mediaDir());
    long requestBytes = Files.size(request);
    List<ScenarioPlan> plans = new ArrayList<>();
    List<Integer> concurrencies = options.concurrency().isEmpty() ? List.of(10) : options.concurrency();
    for (int c : concurrencies) {
      String suffix = concurrencies.size() > 1 ? "-c" + c : "";
      ExpectedBody full = expectedStream(EVENTS);
      plans.add(new ScenarioPlan("sse", "full-speed" + suffix,
          c + " concurrent LLM event streams (" + FORMAT.flag() + ", " + EVENTS + " events of about "
              + full.length() / EVENTS + " bytes each, as fast as the client reads) from the llm-stub; the ext_proc server"
              + " chooses FULL_DUPLEX_STREAMED per response (mode-select) and accounts the usage (llm-usage).",
          List.of(Route.LLM, Route.LLM_BASELINE), c, request, requestBytes, full, full, full.length(), false, SERVER_ARGS,
          false, null, options.timeout()));
      ExpectedBody paced = expectedStream(PACED_EVENTS);
      plans.add(new ScenarioPlan("sse", "paced" + suffix,
          c + " concurrent LLM event streams (" + FORMAT.flag() + ", " + PACED_EVENTS + " events at 50 per second, like a"
              + " model generating) from the llm-stub; processors as in full-speed.",
          List.of(Route.LLM_PACED, Route.LLM_PACED_BASELINE), c, request, requestBytes, paced, paced, paced.length(), false,
          SERVER_ARGS, false, null, options.timeout()));
    }
    return plans;
  }

  /** The request every stream answers: a chat completion request asking for a stream, written once. */
  static Path requestFile(Path mediaDir) throws IOException {
    Files.createDirectories(mediaDir);
    Path file = mediaDir.resolve("sse-request.json");
    byte[] body = ("{\"model\":\"" + MODEL + "\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}").getBytes(StandardCharsets.UTF_8);
    if (!Files.isRegularFile(file) || !java.util.Arrays.equals(Files.readAllBytes(file), body)) {
      Files.write(file, body);
    }
    return file;
  }

  /** The stub's stream of {@code events}, as every client must receive it (the usage processor passes it unchanged). */
  static ExpectedBody expectedStream(int events) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
    SyntheticLlmStream stream = new SyntheticLlmStream(FORMAT, MODEL, events, INPUT_TOKENS);
    long length = 0;
    while (stream.hasNext()) {
      ByteString block = stream.nextBlock();
      length += block.size();
      sha256.update(block.asReadOnlyByteBuffer());
    }
    return new ExpectedBody("the llm-stub's stream of " + events + " " + FORMAT.flag() + " events", length, sha256.digest());
  }

  /** Returns the CPU milliseconds used so far by each of {@code pids} (name to pid) that can be read. */
  static java.util.Map<String, Long> cpuMillis(java.util.Map<String, Long> pids) {
    java.util.Map<String, Long> cpu = new java.util.LinkedHashMap<>();
    pids.forEach((name, pid) -> ProcessCpu.millis(pid).ifPresent(ms -> cpu.put(name, ms)));
    return cpu;
  }

  /**
   * Writes {@link #FIGURES_FILE} for one route's run: streams, time to first byte median and p99,
   * stream duration median and p99, content events per second over all streams, and the CPU time
   * each process spent during the run, also per 100,000 events.
   *
   * @param cpuBefore CPU milliseconds per process name before the run
   * @param cpuAfter the same after it
   * @return the file
   */
  static Path writeFigures(Path routeDir, Route route, UploadRun run, java.util.Map<String, Long> cpuBefore,
      java.util.Map<String, Long> cpuAfter) throws IOException {
    double seconds = run.wallNanos() / 1e9;
    int events = route.path().contains("events=") ? PACED_EVENTS : EVENTS;
    long allEvents = (long) run.verified() * events;
    double eventsPerSecond = seconds <= 0 ? 0 : allEvents / seconds;
    StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
        "streams %d verified of %d%nttfb_p50_ms %.1f%nttfb_p99_ms %.1f%nstream_p50_ms %.1f%nstream_p99_ms %.1f%n"
            + "events_per_s %.0f%nwall_s %.2f%n",
        run.verified(), run.results().size(), UploadRun.percentileMillis(run.firstBytes(), 50),
        UploadRun.percentileMillis(run.firstBytes(), 99), UploadRun.percentileMillis(run.durations(), 50),
        UploadRun.percentileMillis(run.durations(), 99), eventsPerSecond, seconds));
    cpuAfter.forEach((name, after) -> {
      Long before = cpuBefore.get(name);
      if (before != null) {
        long used = after - before;
        text.append(String.format(Locale.ROOT, "%s_cpu_ms %d%n%s_cpu_ms_per_100k_events %.0f%n", name, used, name,
            allEvents == 0 ? 0.0 : used * 100_000.0 / allEvents));
      }
    });
    Path file = routeDir.resolve(FIGURES_FILE);
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }
}
