package dev.extproc.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code extproc demo}: Starts the local stack (echo, ext_proc server, Envoy), sends one request per route, shows what happened, stops everything. */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Starts the local stack (echo, ext_proc server, Envoy), sends one request per route, shows what happened, stops everything.")
final class DemoCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("extproc demo: not implemented yet");
    return 2;
  }
}
