package dev.extproc.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code extproc server}: Runs the ext_proc gRPC server. */
@Command(name = "server", mixinStandardHelpOptions = true, description = "Runs the ext_proc gRPC server.")
final class ServerCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("extproc server: not implemented yet");
    return 2;
  }
}
