package dev.extproc.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code extproc up}: Starts the local stack and keeps it running for manual use with curl. */
@Command(name = "up", mixinStandardHelpOptions = true, description = "Starts the local stack and keeps it running for manual use with curl.")
final class UpCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("extproc up: not implemented yet");
    return 2;
  }
}
