package dev.extproc.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code extproc bench}: Runs the memory and throughput benchmark against a real Envoy. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Runs the memory and throughput benchmark against a real Envoy.")
final class BenchCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("extproc bench: not implemented yet");
    return 2;
  }
}
