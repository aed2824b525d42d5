package dev.extproc.app;

import dev.extproc.echo.LlmStubServer;
import dev.extproc.sse.LlmFormat;
import dev.extproc.stack.ReadyFile;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code extproc llm-stub}: a synthetic LLM upstream streaming server-sent events, until SIGTERM or Ctrl-C. */
@Command(
    name = "llm-stub",
    mixinStandardHelpOptions = true,
    description = "Runs a synthetic LLM upstream that streams server-sent events, the token usage at the end. Any "
        + "POST gets a text/event-stream of --events content events in the --format, at --rate events per "
        + "second (HTTP/1.1).")
final class LlmStubCommand implements Callable<Integer> {

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "8689", description = "Port (default: ${DEFAULT-VALUE}; 0 = ephemeral).")
  int port;

  @Option(names = "--format", defaultValue = "openai-chat", paramLabel = "FORMAT",
      description = "openai-chat, openai-responses or anthropic (default: ${DEFAULT-VALUE}).")
  String format;

  @Option(names = "--events", defaultValue = "100", paramLabel = "N", description = "Content events per answer (default: ${DEFAULT-VALUE}).")
  int events;

  @Option(names = "--rate", defaultValue = "50", paramLabel = "PER_SECOND",
      description = "Events per second; 0 streams as fast as the client reads (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--model", defaultValue = "stub-model", description = "The model the answers name (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--input-tokens", defaultValue = "12", paramLabel = "N", description = "Input tokens the usage reports (default: ${DEFAULT-VALUE}).")
  long inputTokens;

  @Option(names = "--ready-file", paramLabel = "PATH", description = "Once listening, write http.port and pid here (Java properties, written atomically).")
  Path readyFile;

  @Override
  public Integer call() throws Exception {
    LlmStubServer server;
    try {
      server = new LlmStubServer(host, port, new LlmStubServer.Settings(LlmFormat.fromFlag(format), events, rate, model, inputTokens));
    } catch (IllegalArgumentException e) {
      System.err.println("extproc llm-stub: --" + e.getMessage());
      return 2;
    }
    int bound;
    try {
      bound = server.start();
    } catch (RuntimeException e) {
      System.err.println("extproc llm-stub: cannot listen on " + host + ":" + port + ": " + e.getMessage());
      return 1;
    }
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      closed.countDown();
    }, "extproc-llm-stub-shutdown"));
    if (readyFile != null) {
      ReadyFile.write(readyFile, Map.of("http.port", Integer.toString(bound)));
    }
    System.err.println("extproc llm-stub: listening on http://" + host + ":" + bound + " (" + format + ", " + events
        + " events at " + (rate == 0 ? "full speed" : rate + "/s") + "; Ctrl-C to stop)");
    closed.await();
    return 0;
  }
}
