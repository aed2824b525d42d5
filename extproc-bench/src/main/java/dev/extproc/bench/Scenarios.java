package dev.extproc.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/** Turns {@link BenchOptions} into the scenario runs of issue 5. */
public final class Scenarios {

  private Scenarios() {}

  /** Returns the plans of the chosen scenario, in the order to run them. */
  public static List<ScenarioPlan> plans(BenchOptions options) throws IOException {
    List<ScenarioPlan> plans = new ArrayList<>();
    for (ScenarioPlan plan : basePlans(options)) {
      List<String> args = new ArrayList<>(plan.processorArgs());
      args.addAll(options.extraServerArgs());
      plans.add(new ScenarioPlan(plan.scenario(), plan.variant(), plan.description(), plan.routes(), plan.concurrency(),
          plan.bodyFile(), plan.bodyBytes(), plan.expectedExtProc(), plan.expectedBaseline(), plan.largestBodyBytes(),
          plan.aggregatingEcho(), args, plan.capture(), plan.smallDuration(), plan.timeout()));
    }
    return plans;
  }

  private static List<ScenarioPlan> basePlans(BenchOptions options) throws IOException {
    if (options.scenario().equals("small")) {
      List<ScenarioPlan> plans = new ArrayList<>();
      long body = options.bodyBytes() == null ? SmallRequestLoop.DEFAULT_BODY_BYTES : options.bodyBytes();
      if (body > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("body size: " + body + " (expected: <= 2 GiB for small requests)");
      }
      for (int c : concurrencies(options, List.of(10))) {
        plans.add(new ScenarioPlan("small", "c" + c,
            "Closed loop of " + body + "-byte POSTs on " + c + " keep-alive connections for "
                + options.smallDuration().toSeconds() + " s per route, pass-through processor, streaming echo.",
            options.routes(), c, null, body, null, null, body, false, List.of("--processor", "passthrough"), false,
            options.smallDuration(), options.timeout()));
      }
      return plans;
    }
    switch (options.scenario()) { // generated bodies: no input file needed
      case "sse" -> {
        return SseScenario.plans(options);
      }
      case "redact", "json-mask" -> {
        return TransformScenarios.plans(options, concurrencies(options, TransformScenarios.DEFAULT_CONCURRENCY));
      }
      default -> { }
    }
    Path body = bodyFile(options);
    long bodyBytes = Files.size(body);
    ExpectedBody echoed = ExpectedBody.ofFile("the request body", body, bodyBytes);
    List<ScenarioPlan> plans = new ArrayList<>();
    switch (options.scenario()) {
      case "seed" -> {
        Path request = requireFile(options.requestReplacement());
        Path response = requireFile(options.responseReplacement());
        ExpectedBody replaced = ExpectedBody.ofFile("the response replacement " + response.getFileName(), response);
        long largest = Math.max(bodyBytes, Math.max(Files.size(request), Files.size(response)));
        List<String> args = new ArrayList<>(List.of("--processor", "capture,replace",
            "--replace-request-body", request.toAbsolutePath().toString(),
            "--replace-response-body", response.toAbsolutePath().toString()));
        // The seed streamed its replacement after the end of the body (after-end), which lets the
        // replacement outrun a slow upstream inside Envoy; we pace it on the input instead (see
        // docs/benchmarks.md). --server-arg=--duplex-replace=after-end measures the seed's way.
        if (options.extraServerArgs().stream().noneMatch(a -> a.startsWith("--duplex-replace"))) {
          args.addAll(List.of("--duplex-replace", "paced"));
        }
        for (int c : concurrencies(options, List.of(10))) {
          for (boolean aggregating : List.of(true, false)) {
            String variant = (aggregating ? "aggregating-echo" : "streaming-echo") + suffix(options, c);
            plans.add(new ScenarioPlan("seed", variant,
                "The seed's experiment: " + c + " concurrent uploads of " + Format.mib(bodyBytes)
                    + "; the ext_proc server captures both bodies to files and replaces the request with "
                    + request.getFileName() + " (" + Format.mib(Files.size(request)) + ") and the response with "
                    + response.getFileName() + " (" + Format.mib(Files.size(response)) + "); "
                    + (aggregating ? "aggregating echo, as the seed had" : "streaming echo")
                    + "; replacement in FULL_DUPLEX_STREAMED: "
                    + (args.contains("paced") ? "paced on the input" : "as --server-arg says") + ".",
                options.routes(), c, body, bodyBytes, replaced, echoed, largest, aggregating, args, true, null,
                options.timeout()));
          }
        }
      }
      case "passthrough" -> {
        for (int c : concurrencies(options, List.of(1, 10, 50))) {
          plans.add(new ScenarioPlan("passthrough", "c" + c,
              c + " concurrent uploads of " + Format.mib(bodyBytes) + "; pass-through processor; streaming echo.",
              options.routes(), c, body, bodyBytes, echoed, echoed, bodyBytes, false,
              List.of("--processor", "passthrough"), false, null, options.timeout()));
        }
      }
      case "slow-processor" -> {
        for (int c : concurrencies(options, List.of(10))) {
          plans.add(new ScenarioPlan("slow-processor", "c" + c,
              c + " concurrent uploads of " + Format.mib(bodyBytes)
                  + "; pass-through processor delaying every body message by 1 ms, as the seed's servers did; streaming echo.",
              options.routes(), c, body, bodyBytes, echoed, echoed, bodyBytes, false,
              List.of("--processor", "delay", "--delay", "1ms"), false, null, options.timeout()));
        }
      }
      default -> throw new IllegalArgumentException("scenario: " + options.scenario() + " (expected: one of "
          + BenchOptions.SCENARIOS + ")");
    }
    return plans;
  }

  private static String suffix(BenchOptions options, int c) {
    return options.concurrency().size() > 1 ? "-c" + c : "";
  }

  private static List<Integer> concurrencies(BenchOptions options, List<Integer> defaults) {
    return options.concurrency().isEmpty() ? defaults : options.concurrency();
  }

  private static Path requireFile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("media file: " + file + " (expected: an existing file; run `extproc media`)");
    }
    return file;
  }

  /**
   * Returns the upload body: the input file itself, or, for another {@code --body-size}, a file of that size
   * in the media directory made of the input's bytes (repeated when it is longer), created once.
   */
  static Path bodyFile(BenchOptions options) throws IOException {
    Path input = requireFile(options.input());
    long inputSize = Files.size(input);
    if (options.bodyBytes() == null || options.bodyBytes() == inputSize) {
      return input;
    }
    long size = options.bodyBytes();
    Path file = options.mediaDir().resolve("body-" + size + ".bin");
    if (Files.isRegularFile(file) && Files.size(file) == size) {
      return file;
    }
    if (inputSize == 0 && size > 0) {
      throw new IllegalArgumentException("media file: " + input + " is empty (expected: bytes to build a " + size + "-byte body)");
    }
    Path tmp = options.mediaDir().resolve(file.getFileName() + ".tmp");
    byte[] buffer = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(tmp)) {
      long left = size;
      while (left > 0) {
        try (InputStream in = Files.newInputStream(input)) {
          int n;
          while (left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0) {
            out.write(buffer, 0, n);
            left -= n;
          }
        }
      }
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return file;
  }
}
