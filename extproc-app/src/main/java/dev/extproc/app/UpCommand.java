package dev.extproc.app;

import dev.extproc.stack.LocalStack;
import dev.extproc.stack.ManagedProcess;
import dev.extproc.stack.ProcessFailedException;
import dev.extproc.stack.ProjectRoot;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code extproc up}: starts the local stack and keeps it running for manual use with curl, until Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = "Starts the local stack (echo, ext_proc server, Envoy) and keeps it running for manual use "
        + "with curl; Ctrl-C stops everything.")
final class UpCommand implements Callable<Integer> {

  /** The ext_proc server's processors on an LLM stack: the body mode per response, then the usage. */
  static final List<String> LLM_SERVER_ARGS = List.of("--processor", "mode-select,llm-usage", "--mode-override-allowed");

  @Mixin StackOptions stackOptions;

  @Option(names = "--llm", paramLabel = "FORMAT",
      description = "Also run `extproc llm-stub --format FORMAT` (openai-chat, openai-responses or anthropic) behind Envoy's "
          + "/llm route, and the server with --processor mode-select,llm-usage --mode-override-allowed: Envoy's access "
          + "log then carries each answer's token usage.")
  String llmFormat;

  @Option(names = "--llm-demo",
      description = "With --llm: send one streaming request through /llm, print the usage line Envoy logged, and stop.")
  boolean llmDemo;

  @Option(names = "--llm-usage-trailer", paramLabel = "NAME",
      description = "With --llm: the server also adds the usage as response trailer NAME when the answer has trailers.")
  String llmUsageTrailer;

  private final PrintStream out;
  private final PrintStream err;

  UpCommand() {
    this(System.out, System.err);
  }

  /** For tests: prints to {@code out}, errors to {@code err}. */
  UpCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    LocalStack.Builder builder;
    dev.extproc.sse.LlmFormat format = null;
    try {
      if (llmFormat != null) {
        try {
          format = dev.extproc.sse.LlmFormat.fromFlag(llmFormat);
        } catch (IllegalArgumentException e) {
          err.println("extproc up: --llm: " + llmFormat + " (expected: openai-chat, openai-responses or anthropic)");
          return 2;
        }
        if (stackOptions.serverArgs.stream().anyMatch(a -> a.startsWith("--processor"))) {
          err.println("extproc up: --llm chooses the server's processors (" + String.join(" ", LLM_SERVER_ARGS)
              + "); drop --server-arg=--processor");
          return 2;
        }
      } else if (llmDemo || llmUsageTrailer != null) {
        err.println("extproc up: " + (llmDemo ? "--llm-demo" : "--llm-usage-trailer") + " needs --llm FORMAT");
        return 2;
      }
      builder = stackOptions.builder(ProjectRoot.find());
      if (format != null) {
        List<String> serverArgs = new ArrayList<>(LLM_SERVER_ARGS);
        if (llmUsageTrailer != null) {
          serverArgs.addAll(List.of("--llm-usage-trailer", llmUsageTrailer));
        }
        serverArgs.addAll(stackOptions.serverArgs);
        builder.serverArgs(serverArgs).llmStub(List.of("--format", format.flag()));
      }
    } catch (IllegalArgumentException e) { // --replicas out of range
      err.println("extproc up: --" + e.getMessage());
      return 2;
    } catch (IllegalStateException e) { // EnvoyNotFoundException, or no project root
      err.println("extproc up: " + e.getMessage());
      return 2;
    }
    LocalStack stack;
    try {
      stack = builder.build();
    } catch (ProcessFailedException e) {
      err.println("extproc up: the stack did not start: " + e.getMessage());
      StackOptions.printPortHint(e, err);
      return 1;
    }
    java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
    Thread hook = new Thread(() -> {
      stopping.set(true);
      err.println("extproc up: stopping Envoy, the ext_proc server and the echo backend ...");
      stack.close();
    }, "extproc-up-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    if (llmDemo) {
      return demo(stack, format, hook);
    }
    printUsage(stack);

    List<CompletableFuture<ManagedProcess>> exits = new ArrayList<>();
    exits.add(stack.envoyProcess().onExit());
    stack.replicas().forEach(r -> r.process().ifPresent(p -> exits.add(p.onExit())));
    stack.echoProcess().ifPresent(p -> exits.add(p.onExit()));
    stack.llmStubProcess().ifPresent(p -> exits.add(p.onExit()));
    ManagedProcess ended = (ManagedProcess) CompletableFuture.anyOf(exits.toArray(CompletableFuture[]::new)).join();
    if (stopping.get()) {
      return 0;
    }
    err.println("extproc up: " + ended + " ended by itself; last lines of " + ended.logFile() + ":\n"
        + ended.logTail(30));
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      return 1;
    }
    stack.keepLogDir();
    stack.close();
    err.println("extproc up: stopped; logs in " + stack.logDir());
    return 1;
  }

  /** Runs {@link LlmDemo} on the stack, then stops it; 0 when Envoy logged the usage. */
  private int demo(LocalStack stack, dev.extproc.sse.LlmFormat format, Thread hook) {
    int exit;
    try {
      LlmDemo.Result result = LlmDemo.run(stack, format, out);
      exit = result.status() == 200 && result.outputTokens() >= 0 ? 0 : 1;
    } catch (java.io.IOException | RuntimeException e) {
      err.println("extproc up: the LLM demo failed: " + e.getMessage() + "; logs kept in " + stack.logDir());
      stack.keepLogDir();
      exit = 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1; // the shutdown hook stops the stack
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      return exit;
    }
    stack.close();
    return exit;
  }

  private void printUsage(LocalStack stack) {
    String ext = stack.extProcUri().toString();
    out.println("extproc up: the stack is running (Ctrl-C stops everything)");
    out.println();
    out.println("  Envoy with ext_proc   " + ext + "  routes: " + String.join(" ", RouteChecks.ROUTES));
    out.println("  Envoy baseline        " + stack.baselineUri() + "  (same routes, no ext_proc)");
    out.println("  Envoy admin           " + stack.envoyAdminUri() + "  (/stats, /memory, /ready)");
    out.println("  echo backend          " + stack.echoUri());
    stack.llmStubUri().ifPresent(stub -> out.println("  llm-stub              " + stub + "  (" + llmFormat
        + "; behind " + stack.extProcUri() + "/llm, usage in " + stack.logDir().resolve("access.log") + ")"));
    stack.extProcProcess().ifPresent(p -> out.println("  ext_proc server       grpc " + stack.extProcAddress().getHostString()
        + ":" + stack.extProcAddress().getPort() + ", admin " + stack.extProcAdmin().uri() + "  (/stats, /metrics, /healthz)"));
    if (stack.replicas().size() > 1) {
      stack.replicas().forEach(r -> out.println("  ext_proc replica " + r.index() + "    grpc " + LocalStack.HOST + ":" + r.grpcPort()
          + ", admin " + r.admin().uri() + ", pid " + r.pid().orElse(-1)));
      out.println("  balancing             round robin over the replicas; Envoy's view: " + stack.envoyAdminUri() + "/clusters");
    }
    out.println("  pids                  envoy " + stack.envoyPid() + ", ext_proc " + stack.extProcPid().orElse(-1)
        + ", echo " + stack.echoPid().orElse(-1));
    out.println("  logs                  " + stack.logDir());
    out.println();
    out.println("Try (ready to paste):");
    TryCommands tries = new TryCommands(stack.extProcUri(), stack.envoyAdminUri(),
        stack.extProcProcess().map(p -> stack.extProcAdmin().uri()), stackOptions.serverArgs);
    tries.lines().forEach(line -> out.println("  " + line));
    if (stack.llmStubUri().isPresent()) {
      out.println("  curl -sN -XPOST " + stack.extProcUri() + "/llm/v1/chat/completions   # an event stream; then:");
      out.println("  grep ' llm ' " + stack.logDir().resolve("access.log") + "   # the usage Envoy logged");
    }
    out.flush();
  }
}
