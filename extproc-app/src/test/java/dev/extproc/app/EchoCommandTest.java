package dev.extproc.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.extproc.echo.EchoServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(60)
class EchoCommandTest {

  @TempDir Path tmp;

  @Test
  void echoCommand_inAChildProcess_writesTheReadyFile_echoes_andStopsOnSigterm() throws Exception {
    Path ready = tmp.resolve("echo.ready");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ExtProcMain.class.getName());
    command.addAll(List.of("echo", "--port", "0", "--io-threads", "1", "--ready-file", ready.toString()));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(ready) || !process.isAlive());
      assertThat(process.isAlive()).as("echo process alive; output so far: %s", output.getNow("")).isTrue();
      Properties properties = new Properties();
      try (InputStream in = Files.newInputStream(ready)) {
        properties.load(in);
      }
      assertThat(properties.getProperty("pid")).isEqualTo(Long.toString(process.pid()));
      int port = Integer.parseInt(properties.getProperty("http.port"));

      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpResponse<String> health =
          client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
              HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> echo =
          client.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/echo"))
                  .POST(HttpRequest.BodyPublishers.ofString("hello echo"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(health.body()).isEqualTo("ok");
      assertThat(echo.statusCode()).isEqualTo(200);
      assertThat(echo.body()).isEqualTo("hello echo");

      process.destroy(); // SIGTERM
      assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
      assertThat(process.exitValue()).isEqualTo(143); // 128 + SIGTERM, after the shutdown hook ran
      assertThat(output.get(10, TimeUnit.SECONDS)).contains("listening on http://127.0.0.1:" + port);
    } finally {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void options_buildTheServerTheyDescribe() {
    EchoCommand echo = parse("--port", "0", "--aggregate", "--max-content-length", "1000",
        "--delay-headers", "250ms", "--throttle-bytes-per-second", "1000", "--reset-after-bytes", "5");

    assertThat(echo.aggregate).isTrue();
    assertThat(echo.maxContentLength).isEqualTo(1000);
    assertThat(echo.delayHeaders).isEqualTo(Duration.ofMillis(250));
    try (EchoServer server = echo.newServer()) {
      assertThat(server).isNotNull();
    }
  }

  @Test
  void defaults_areTheSeedsPortAndLimit() {
    EchoCommand echo = parse();

    assertThat(echo.host).isEqualTo("127.0.0.1");
    assertThat(echo.port).isEqualTo(8688);
    assertThat(echo.maxContentLength).isEqualTo(100 * 1024 * 1024);
    assertThat(echo.aggregate).isFalse();
  }

  @Test
  void badDuration_failsWithTheExpectedForm() {
    StringWriter err = new StringWriter();
    CommandLine cli = ExtProcMain.newCommandLine();
    cli.setErr(new PrintWriter(err));

    int exit = cli.execute("echo", "--delay-headers", "soon");

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("duration: soon (expected:");
  }

  @Test
  void negativeThrottle_failsWithTheExpectedRange() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    java.io.PrintStream original = System.err;
    System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
    int exit;
    try {
      exit = ExtProcMain.newCommandLine().execute("echo", "--port", "0", "--throttle-bytes-per-second", "0");
    } finally {
      System.setErr(original);
    }

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--throttle-bytes-per-second: 0 (expected: >= 1)");
  }

  @Test
  void sizes_acceptBinaryUnits() {
    EchoCommand echo = parse("--max-content-length", "1MiB", "--throttle-bytes-per-second", "64KiB",
        "--reset-after-bytes", "10000");

    assertThat(echo.maxContentLength).isEqualTo(1 << 20);
    assertThat(echo.throttleBytesPerSecond).isEqualTo(64 * 1024L);
    assertThat(echo.resetAfterBytes).isEqualTo(10_000L);
  }

  private static EchoCommand parse(String... args) {
    CommandLine cli = ExtProcMain.newCommandLine();
    List<String> all = new ArrayList<>(List.of("echo"));
    all.addAll(List.of(args));
    CommandLine.ParseResult result = cli.parseArgs(all.toArray(String[]::new));
    return (EchoCommand) result.subcommand().commandSpec().userObject();
  }

  private static String readAll(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }
}
