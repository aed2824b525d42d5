package dev.extproc.app;

import dev.extproc.stack.EnvoyInstallation;
import dev.extproc.stack.LocalStack;
import dev.extproc.stack.ProjectRoot;
import dev.extproc.stack.StackPorts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Options shared by {@code demo} and {@code up}: how to start the {@link LocalStack}. */
final class StackOptions {

  @Option(names = "--ephemeral-ports",
      description = "Let the system pick every port instead of the seed's (18080, 19090, 9901, 8688, 9001, 9002).")
  boolean ephemeralPorts;

  @Option(names = "--log-dir", paramLabel = "DIR",
      description = "Keep logs, the rendered Envoy config and ready files in DIR (default: a temporary directory).")
  Path logDir;

  @Option(names = "--envoy-concurrency", defaultValue = "2", paramLabel = "N",
      description = "Envoy worker threads (default: ${DEFAULT-VALUE}).")
  int envoyConcurrency;

  @Option(names = "--envoy-log-level", defaultValue = "info", paramLabel = "LEVEL",
      description = "Envoy's --log-level (default: ${DEFAULT-VALUE}); e.g. --envoy-component-log-level ext_proc:debug for more.")
  String envoyLogLevel;

  @Option(names = "--envoy-component-log-level", paramLabel = "C:LEVEL",
      description = "Envoy's --component-log-level, e.g. ext_proc:debug.")
  String envoyComponentLogLevel;

  @Option(names = "--replicas", defaultValue = "1", paramLabel = "N",
      description = "ext_proc server processes behind Envoy's one ext_proc cluster (default: ${DEFAULT-VALUE}; at most "
          + LocalStack.MAX_REPLICAS + "). With the seed's ports, replica i uses 9001+2i and 9002+2i.")
  int replicas;

  @Option(names = "--server-arg", paramLabel = "ARG",
      description = "Extra argument for the ext_proc server (repeatable), e.g. --server-arg=--processor=delay --server-arg=--delay=1ms.")
  List<String> serverArgs = new ArrayList<>();

  @Option(names = "--echo-arg", paramLabel = "ARG",
      description = "Extra argument for the echo backend (repeatable), e.g. --echo-arg=--aggregate.")
  List<String> echoArgs = new ArrayList<>();

  /** After a failed start: if a port was taken, suggests --ephemeral-ports. */
  static void printPortHint(RuntimeException failure, java.io.PrintStream err) {
    String message = String.valueOf(failure.getMessage());
    if (message.contains("Address already in use") || message.contains("cannot bind")) {
      err.println("hint: a port is taken (another stack on the seed's ports?); --ephemeral-ports picks free ones");
    }
  }

  /** Finds (or installs, with scripts/install-envoy.sh) the pinned Envoy and prepares the stack. */
  LocalStack.Builder builder(ProjectRoot root) {
    EnvoyInstallation envoy = EnvoyInstallation.locateOrInstall(root);
    LocalStack.Builder builder = LocalStack.builder()
        .projectRoot(root)
        .envoy(envoy)
        .ports(ephemeralPorts ? StackPorts.ephemeral() : StackPorts.seedDefaults())
        .envoyConcurrency(envoyConcurrency)
        .envoyLogLevel(envoyLogLevel)
        .envoyComponentLogLevel(envoyComponentLogLevel)
        .serverArgs(serverArgs)
        .echoArgs(echoArgs)
        .replicas(replicas);
    if (logDir != null) {
      builder.workDir(logDir);
    }
    return builder;
  }
}
