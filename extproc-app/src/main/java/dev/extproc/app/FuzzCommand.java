package dev.extproc.app;

import dev.extproc.app.fuzz.FuzzCase;
import dev.extproc.app.fuzz.FuzzReport;
import dev.extproc.app.fuzz.ProtocolFuzzer;
import java.io.IOException;
import java.io.PrintWriter;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code extproc fuzz}: the protocol fuzzer as a soak, in-process (no Envoy, no ports but loopback). */
@Command(
    name = "fuzz",
    mixinStandardHelpOptions = true,
    description = "Soaks the ext_proc engine with random and adversarial raw-bytes streams (every message type in "
        + "every state, every body mode, truncated, garbage, unknown fields and enum values, oversize), "
        + "in-process and over Netty on loopback, beside well-behaved byte-checked exchanges; then checks "
        + "that no stream, byte or file is left and every stream got a documented status. Exit code 0 when "
        + "clean, 1 on any finding. See docs/reliability.md.")
final class FuzzCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--streams", defaultValue = "100000", description = "Fuzzed streams (default: ${DEFAULT-VALUE}).")
  long streams;

  @Option(names = "--seed", description = "Seed of every random choice (default: a random one, printed).")
  Long seed;

  @Option(names = "--concurrency", defaultValue = "16", description = "Streams at once (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--netty-share", defaultValue = "0.1", description = "Share of streams over Netty on loopback (default: ${DEFAULT-VALUE}).")
  double nettyShare;

  @Option(names = "--kinds", split = ",", description = "Kinds of input (default: all): ${COMPLETION-CANDIDATES}.")
  List<FuzzCase.Kind> kinds;

  @Override
  public Integer call() throws IOException, InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String invalid =
        streams < 1 ? "--streams: " + streams + " (expected: >= 1)"
            : concurrency < 1 ? "--concurrency: " + concurrency + " (expected: >= 1)"
            : !(nettyShare >= 0 && nettyShare <= 1) ? "--netty-share: " + nettyShare + " (expected: 0 to 1)"
            : null;
    if (invalid != null) {
      err.println("extproc fuzz: " + invalid);
      err.flush();
      return 2;
    }
    long s = seed != null ? seed : new SecureRandom().nextLong();
    ProtocolFuzzer fuzzer =
        new ProtocolFuzzer(s, streams, concurrency, nettyShare, kinds == null ? ProtocolFuzzer.ALL_KINDS : EnumSet.copyOf(kinds));
    out.println("extproc fuzz: seed " + s + ", " + streams + " streams");
    out.flush();
    FuzzReport report = fuzzer.run();
    out.print(report);
    out.flush();
    return report.ok() ? 0 : 1;
  }
}
