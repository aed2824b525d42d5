package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark's entry point: runs every plan of a scenario against an environment and writes the run
 * directory ({@code report.json}, {@code report.md}, {@code timeseries.csv}, charts, per-route files).
 *
 * <p>Usage: {@code BenchReport report = Bench.run(options, environment, runDir, ProgressDisplay.quiet(), "extproc bench ...");}
 */
public final class Bench {

  private Bench() {}

  /** Returns the default run directory: {@code runs/<UTC timestamp>} under {@code base}. */
  public static Path defaultRunDir(Path base) {
    String stamp = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString().replace(":", "").replace("-", "");
    return base.resolve("runs").resolve(stamp);
  }

  /**
   * Runs the scenario and writes the report.
   *
   * @param command the command line, written into the report
   */
  public static BenchReport run(BenchOptions options, BenchEnvironment environment, Path runDir,
      ProgressDisplay progress, String command) throws Exception {
    return run(options, environment, runDir, progress, command, ServerState.FRESH);
  }

  /**
   * Runs the scenario with the server in the given state ({@code extproc bench --warm}: {@link ServerState#WARM})
   * and writes the report.
   *
   * @param command the command line, written into the report
   */
  public static BenchReport run(BenchOptions options, BenchEnvironment environment, Path runDir,
      ProgressDisplay progress, String command, ServerState serverState) throws Exception {
    requireNonNull(serverState, "serverState");
    requireNonNull(options, "options");
    requireNonNull(environment, "environment");
    requireNonNull(runDir, "runDir");
    requireNonNull(progress, "progress");
    requireNonNull(command, "command");
    Files.createDirectories(runDir);
    String started = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    List<ScenarioPlan> plans = Scenarios.plans(options);
    List<ScenarioReport> reports = new ArrayList<>();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    HttpClient admin = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).version(HttpClient.Version.HTTP_1_1).build();
    try {
      BenchRunner runner = new BenchRunner(environment, group, admin, progress, options.profile(), BenchRunner.SAMPLE_PERIOD,
          serverState);
      for (ScenarioPlan plan : plans) {
        reports.add(runner.run(plan, runDir));
      }
    } finally {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
    Map<String, String> machine = machine();
    machine.putAll(environment.describe());
    BenchReport report = new BenchReport(started, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), command,
        machine, BenchReport.DEFINITIONS, reports);
    return new ReportWriter().write(runDir, report);
  }

  /** Returns cores, memory, OS and JDK of this machine. */
  static Map<String, String> machine() {
    Map<String, String> machine = new LinkedHashMap<>();
    machine.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
    machine.put("memory", memTotal());
    machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    machine.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    return machine;
  }

  private static String memTotal() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"), StandardCharsets.US_ASCII)) {
        if (line.startsWith("MemTotal:")) {
          long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
          return String.format("%.1f GiB", kib / 1024.0 / 1024.0);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return "unknown (" + e.getMessage() + ")";
    }
    return "unknown";
  }
}
