package dev.extproc.app;

import dev.extproc.sse.LlmFormat;
import dev.extproc.stack.LocalStack;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code extproc up --llm FORMAT --llm-demo}: sends one streaming LLM request through Envoy's
 * {@code /llm} route (the stack's llm-stub behind it, the server accounting usage), then reads the
 * line Envoy's access log wrote for it and prints the token usage Envoy logged from the server's
 * dynamic metadata ({@code extproc.llm}). Runs on the caller's thread; blocks until the line is
 * there or {@link #LOG_TIMEOUT} passed.
 */
final class LlmDemo {
  /** How long Envoy may take to write the access log line after the response ended. */
  static final Duration LOG_TIMEOUT = Duration.ofSeconds(20);

  /** The template's {@code llm} access log line (envoy.yaml.tmpl). */
  static final Pattern USAGE_LINE = Pattern.compile(".* llm \"POST (\\S+) \\S+\" (\\d+) model=(\\S+) input_tokens=(\\S+)"
      + " output_tokens=(\\S+) total_tokens=(\\S+) .*");

  /**
   * What the demo saw.
   *
   * @param accessLogLine the line Envoy logged
   * @param status the response status
   * @param events the {@code data:} lines the client received
   * @param model the model Envoy logged
   * @param inputTokens input tokens Envoy logged ({@code -1}: not logged)
   * @param outputTokens output tokens Envoy logged ({@code -1}: not logged)
   * @param totalTokens total tokens Envoy logged ({@code -1}: not logged)
   */
  record Result(String accessLogLine, int status, long events, String model, long inputTokens, long outputTokens,
      long totalTokens) {
    /** The one-line summary the command prints. */
    String summary() {
      return "usage Envoy logged: model=" + model + " input_tokens=" + inputTokens + " output_tokens=" + outputTokens
          + " total_tokens=" + totalTokens;
    }
  }

  private LlmDemo() {}

  /** The request path of {@code format}'s API on the {@code /llm} route. */
  static String path(LlmFormat format) {
    return switch (format) {
      case OPENAI_CHAT -> "/llm/v1/chat/completions";
      case OPENAI_RESPONSES -> "/llm/v1/responses";
      case ANTHROPIC -> "/llm/v1/messages";
    };
  }

  /**
   * Streams one answer through {@code stack}'s ext_proc listener, printing progress to {@code out},
   * then waits for Envoy's access log line of it and prints it and the usage.
   *
   * @throws IllegalStateException when the line does not appear in time (the message says where it looked)
   */
  static Result run(LocalStack stack, LlmFormat format, PrintStream out) throws IOException, InterruptedException {
    String path = path(format);
    URI uri = stack.extProcUri().resolve(path);
    out.println("POST " + uri + " (" + format.flag() + ", stream: true) ...");
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"stub-model\",\"stream\":true,"
            + "\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}"))
        .build();
    long start = System.nanoTime();
    HttpResponse<Stream<String>> response = client.send(request, HttpResponse.BodyHandlers.ofLines());
    long events = 0;
    long firstEventNanos = -1;
    String lastData = "";
    try (Stream<String> lines = response.body()) {
      for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
        String line = it.next();
        if (line.startsWith("data:")) {
          if (firstEventNanos < 0) {
            firstEventNanos = System.nanoTime() - start;
          }
          events++;
          lastData = line;
        }
      }
    }
    out.printf("streamed: HTTP %d, %d events, first after %d ms, all after %d ms; last: %s%n", response.statusCode(),
        events, firstEventNanos < 0 ? -1 : firstEventNanos / 1_000_000, (System.nanoTime() - start) / 1_000_000,
        lastData.length() > 120 ? lastData.substring(0, 120) + " ..." : lastData);
    Path accessLog = stack.logDir().resolve("access.log");
    Matcher line = stack.envoyProcess().awaitReady("Envoy's access log line for " + path + " in " + accessLog,
        () -> find(accessLog, path), LOG_TIMEOUT);
    out.println("Envoy's access log (" + accessLog + "):");
    out.println("  " + line.group(0));
    Result result = new Result(line.group(0), response.statusCode(), events, line.group(3), number(line.group(4)),
        number(line.group(5)), number(line.group(6)));
    out.println(result.summary());
    out.flush();
    return result;
  }

  /** The access log's {@code llm} line for {@code path}, if written yet. */
  private static Optional<Matcher> find(Path accessLog, String path) {
    if (!Files.exists(accessLog)) {
      return Optional.empty();
    }
    try (Stream<String> lines = Files.lines(accessLog, StandardCharsets.UTF_8)) {
      return lines.map(USAGE_LINE::matcher).filter(m -> m.matches() && m.group(1).equals(path)).findFirst();
    } catch (IOException | UncheckedIOException e) {
      return Optional.empty();
    }
  }

  /** A metadata number as Envoy logs it ({@code 112} or {@code 112.0}); {@code -1} for {@code -} (not set). */
  private static long number(String logged) {
    return logged.equals("-") ? -1 : Math.round(Double.parseDouble(logged));
  }
}
