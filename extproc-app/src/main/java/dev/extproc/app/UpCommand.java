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

/** {@code extproc up}: starts the local stack and keeps it running for manual use with curl, until Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = "Starts the local stack (echo, ext_proc server, Envoy) and keeps it running for manual use "
        + "with curl; Ctrl-C stops everything.")
final class UpCommand implements Callable<Integer> {

  @Mixin StackOptions stackOptions;

  private final PrintStream out = System.out;

  @Override
  public Integer call() {
    LocalStack.Builder builder;
    try {
      builder = stackOptions.builder(ProjectRoot.find());
    } catch (IllegalArgumentException e) { // --replicas out of range
      System.err.println("extproc up: --" + e.getMessage());
      return 2;
    } catch (IllegalStateException e) { // EnvoyNotFoundException, or no project root
      System.err.println("extproc up: " + e.getMessage());
      return 2;
    }
    LocalStack stack;
    try {
      stack = builder.build();
    } catch (ProcessFailedException e) {
      System.err.println("extproc up: the stack did not start: " + e.getMessage());
      StackOptions.printPortHint(e, System.err);
      return 1;
    }
    java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
    Thread hook = new Thread(() -> {
      stopping.set(true);
      System.err.println("extproc up: stopping Envoy, the ext_proc server and the echo backend ...");
      stack.close();
    }, "extproc-up-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    printUsage(stack);

    List<CompletableFuture<ManagedProcess>> exits = new ArrayList<>();
    exits.add(stack.envoyProcess().onExit());
    stack.replicas().forEach(r -> r.process().ifPresent(p -> exits.add(p.onExit())));
    stack.echoProcess().ifPresent(p -> exits.add(p.onExit()));
    ManagedProcess ended = (ManagedProcess) CompletableFuture.anyOf(exits.toArray(CompletableFuture[]::new)).join();
    if (stopping.get()) {
      return 0;
    }
    System.err.println("extproc up: " + ended + " ended by itself; last lines of " + ended.logFile() + ":\n"
        + ended.logTail(30));
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      return 1;
    }
    stack.keepLogDir();
    stack.close();
    System.err.println("extproc up: stopped; logs in " + stack.logDir());
    return 1;
  }

  private void printUsage(LocalStack stack) {
    String ext = stack.extProcUri().toString();
    out.println("extproc up: the stack is running (Ctrl-C stops everything)");
    out.println();
    out.println("  Envoy with ext_proc   " + ext + "  routes: " + String.join(" ", RouteChecks.ROUTES));
    out.println("  Envoy baseline        " + stack.baselineUri() + "  (same routes, no ext_proc)");
    out.println("  Envoy admin           " + stack.envoyAdminUri() + "  (/stats, /memory, /ready)");
    out.println("  echo backend          " + stack.echoUri());
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
    out.flush();
  }
}
