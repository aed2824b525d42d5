package dev.extproc.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code extproc echo}: Runs the HTTP echo backend. */
@Command(name = "echo", mixinStandardHelpOptions = true, description = "Runs the HTTP echo backend.")
final class EchoCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("extproc echo: not implemented yet");
    return 2;
  }
}
