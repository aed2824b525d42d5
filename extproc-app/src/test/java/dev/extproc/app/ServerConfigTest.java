package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Configuration layers (flag > environment > file > default), --print-config and the one-line errors. */
class ServerConfigTest {

  private static ServerCommand resolve(Map<String, String> env, String... args) {
    CommandLine line = new CommandLine(new ServerCommand()).setCaseInsensitiveEnumValuesAllowed(true);
    line.parseArgs(args);
    return ConfigSources.resolve(line.getCommandSpec(), env).command();
  }

  @Test
  void flagBeatsEnvironmentBeatsFileBeatsDefault(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("extproc.yaml"),
        "port: 26001\nadmin-port: 26002\nshutdown-grace: 3s\nprocessor: [capture, delay]\nlog-exchanges: true\n");
    ServerCommand command = resolve(Map.of("EXTPROC_ADMIN_PORT", "26012", "EXTPROC_SHUTDOWN_GRACE", "250ms"),
        "--config", file.toString(), "--shutdown-grace", "7s");
    assertThat(command.port).as("file").isEqualTo(26001);
    assertThat(command.adminPort).as("environment over file").isEqualTo(26012);
    assertThat(command.shutdownGrace).as("flag over environment").hasSeconds(7);
    assertThat(command.processorOptions.processors).as("file list").containsExactly("capture", "delay");
    assertThat(command.logExchanges).isTrue();
    assertThat(command.maxChunkBytes).as("default").isEqualTo(64 * 1024);
    assertThat(command.host).as("default").isEqualTo("127.0.0.1");
  }

  @Test
  void configFileMayComeFromTheEnvironment(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("extproc.yaml"), "max-chunk-bytes: 16KiB\n");
    assertThat(resolve(Map.of("EXTPROC_CONFIG", file.toString())).maxChunkBytes).isEqualTo(16 * 1024);
  }

  @Test
  void printConfigShowsEveryValueAndItsSource(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("extproc.yaml"), "port: 26001\n");
    StringWriter out = new StringWriter();
    int code = ExtProcMain.newCommandLine().setOut(new PrintWriter(out))
        .execute("server", "--config", file.toString(), "--admin-port", "26003", "--print-config");
    assertThat(code).isZero();
    assertThat(out.toString())
        .contains("port: \"26001\"  # file " + file)
        .contains("admin-port: \"26003\"  # flag")
        .contains("shutdown-grace: \"10s\"  # default")
        .contains("admin-host: \"127.0.0.1\"  # default")
        .contains("# tls-cert: (not set)");
  }

  @Test
  void unknownFileKey_badEnvValue_badFileValue_areOneLineErrorsNamingSourceOptionAndValue(@TempDir Path dir)
      throws Exception {
    Path unknown = Files.writeString(dir.resolve("unknown.yaml"), "prot: 9001\n");
    assertThatThrownBy(() -> resolve(Map.of(), "--config", unknown.toString()))
        .hasMessageStartingWith("config " + unknown + ": unknown key 'prot' (expected one of: ")
        .hasMessageContaining("port, ");
    assertThatThrownBy(() -> resolve(Map.of("EXTPROC_PORT", "nine")))
        .hasMessageStartingWith("EXTPROC_PORT=nine: ").hasMessageContaining("--port").hasMessageContaining("'nine'");
    assertThatThrownBy(() -> resolve(Map.of("EXTPROC_SHUTDOWN_GRACE", "PT10S")))
        .hasMessage("EXTPROC_SHUTDOWN_GRACE=PT10S: Invalid value for option '--shutdown-grace': "
            + "duration: PT10S (expected: e.g. 250us, 500ms, 10s, 1m)");
    assertThatThrownBy(() -> resolve(Map.of("EXTPROC_LOG_EXCHANGES", "yes")))
        .hasMessage("EXTPROC_LOG_EXCHANGES=yes (expected: true or false for --log-exchanges)");
    Path badValue = Files.writeString(dir.resolve("bad.yaml"), "max-chunk-bytes: lots\n");
    assertThatThrownBy(() -> resolve(Map.of(), "--config", badValue.toString()))
        .hasMessageStartingWith("config " + badValue + ": max-chunk-bytes: lots: ");
    Path missing = dir.resolve("missing.yaml");
    assertThatThrownBy(() -> resolve(Map.of(), "--config", missing.toString()))
        .hasMessage("--config: " + missing + ": no such file (expected: a readable YAML file)");
  }

  @Test
  void badInputExitsTwoWithOneLineAndAHint_beforeAnythingListens(@TempDir Path dir) throws Exception {
    Path missingCert = dir.resolve("server.crt");
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not pem\n");
    assertThat(run("--tls-cert", missingCert.toString(), "--tls-key", garbage.toString()))
        .isEqualTo("extproc server: --tls-cert: " + missingCert + ": no such file (expected: a PEM certificate chain)\n"
            + "Try 'extproc server --help' for the options.\n");
    assertThat(run("--tls-cert", garbage.toString()))
        .isEqualTo("extproc server: --tls-cert: " + garbage + " (expected: with --tls-key FILE)\n"
            + "Try 'extproc server --help' for the options.\n");
    assertThat(run("--tls-cert", garbage.toString(), "--tls-key", garbage.toString(), "--tls-client-ca",
        garbage.toString(), "--tls-client-auth", "maybe"))
        .startsWith("extproc server: --tls-client-auth: maybe (expected: require or optional)\n");
    Path socket = dir.resolve("no-such-dir/extproc.sock");
    assertThat(run("--uds", socket.toString())).startsWith("extproc server: --uds: " + socket + ": directory ");
    assertThat(run("--log-format", "xml")).startsWith("extproc server: --log-format: xml (expected: text or json)\n");
    assertThat(run("--port", "nine")).isEqualTo(
        "extproc server: Invalid value for option '--port': 'nine' is not an int\n"
            + "Try 'extproc server --help' for the options.\n");
    assertThat(run("--no-such-flag")).isEqualTo(
        "extproc server: Unknown option: '--no-such-flag'\nTry 'extproc server --help' for the options.\n");
  }

  @Test
  void versionComesFromTheBuild() {
    StringWriter out = new StringWriter();
    assertThat(ExtProcMain.newCommandLine().setOut(new PrintWriter(out)).execute("--version")).isZero();
    assertThat(out.toString()).startsWith("extproc ");
  }

  /** Runs {@code extproc server ARGS} in-process (ports 0) and returns stderr; asserts exit code 2. */
  private static String run(String... args) {
    StringWriter err = new StringWriter();
    String[] all = new String[args.length + 5];
    all[0] = "server";
    all[1] = "--port";
    all[2] = "0";
    all[3] = "--admin-port";
    all[4] = "0";
    System.arraycopy(args, 0, all, 5, args.length);
    int code = ExtProcMain.newCommandLine().setErr(new PrintWriter(err)).execute(all);
    assertThat(code).as("exit code; stderr: %s", err).isEqualTo(2);
    return err.toString().replace(System.lineSeparator(), "\n");
  }
}
