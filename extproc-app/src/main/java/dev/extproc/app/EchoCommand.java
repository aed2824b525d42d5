package dev.extproc.app;

import dev.extproc.echo.EchoEffect;
import dev.extproc.echo.EchoMode;
import dev.extproc.echo.EchoServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code extproc echo}: runs the HTTP echo backend until SIGTERM or Ctrl-C, then closes it
 * (every connection and event loop thread) before the JVM exits.
 */
@Command(
    name = "echo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the HTTP echo backend: HTTP/1.1 and h2c (prior knowledge) on one port; the request body",
      "is streamed back as the response body as it arrives. GET /healthz answers ok."
    })
final class EchoCommand implements Callable<Integer> {

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "8688", description = "Port (default: ${DEFAULT-VALUE}; 0 = ephemeral).")
  int port;

  @Option(
      names = "--aggregate",
      description = "Buffer each HTTP/1.1 request whole before echoing it (the seed's echo); 413 beyond --max-content-length.")
  boolean aggregate;

  @Option(
      names = "--max-content-length",
      defaultValue = "104857600",
      paramLabel = "BYTES",
      description = "Largest body in --aggregate mode (default: ${DEFAULT-VALUE} = 100 MiB).")
  int maxContentLength;

  @Option(
      names = "--delay-headers",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Fault: delay each response's headers, e.g. 250ms, 2s.")
  Duration delayHeaders;

  @Option(
      names = "--throttle-bytes-per-second",
      paramLabel = "N",
      description = "Fault: echo each body no faster than N bytes/s.")
  Long throttleBytesPerSecond;

  @Option(
      names = "--reset-after-bytes",
      paramLabel = "N",
      description = "Fault: reset each exchange after N echoed body bytes (HTTP/1.1: close; HTTP/2: RST_STREAM).")
  Long resetAfterBytes;

  @Option(names = "--io-threads", paramLabel = "N", description = "Event loop threads (default: number of processors).")
  Integer ioThreads;

  @Option(
      names = "--ready-file",
      paramLabel = "PATH",
      description = "Once listening, write http.port and pid here (Java properties, written atomically).")
  Path readyFile;

  @Override
  public Integer call() throws Exception {
    EchoServer server;
    try {
      server = newServer();
    } catch (IllegalArgumentException e) {
      System.err.println("extproc echo: " + e.getMessage());
      return 2;
    }
    int boundPort;
    try {
      boundPort = server.start();
    } catch (UncheckedIOException e) {
      System.err.println("extproc echo: " + e.getMessage());
      return 1;
    }
    CountDownLatch closed = new CountDownLatch(1);
    Thread shutdown =
        new Thread(
            () -> {
              server.close();
              closed.countDown();
            },
            "extproc-echo-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdown);
    if (readyFile != null) {
      try {
        writeReadyFile(readyFile, boundPort);
      } catch (IOException e) {
        System.err.println("extproc echo: cannot write --ready-file " + readyFile + ": " + e.getMessage());
        Runtime.getRuntime().removeShutdownHook(shutdown);
        server.close();
        return 1;
      }
    }
    System.err.println("extproc echo: listening on http://" + host + ":" + boundPort + " (Ctrl-C to stop)");
    closed.await(); // released by the shutdown hook on SIGTERM / Ctrl-C
    return 0;
  }

  /** Builds the server the options describe; fails with a clear message on bad options. */
  EchoServer newServer() {
    if (maxContentLength < 0) {
      throw new IllegalArgumentException("--max-content-length: " + maxContentLength + " (expected: >= 0)");
    }
    List<EchoEffect> effects = new ArrayList<>();
    if (delayHeaders != null) {
      effects.add(EchoEffect.delayHeaders(delayHeaders));
    }
    if (throttleBytesPerSecond != null) {
      if (throttleBytesPerSecond < 1) {
        throw new IllegalArgumentException(
            "--throttle-bytes-per-second: " + throttleBytesPerSecond + " (expected: >= 1)");
      }
      effects.add(EchoEffect.throttleBody(throttleBytesPerSecond));
    }
    if (resetAfterBytes != null) {
      if (resetAfterBytes < 0) {
        throw new IllegalArgumentException("--reset-after-bytes: " + resetAfterBytes + " (expected: >= 0)");
      }
      effects.add(EchoEffect.resetAfter(resetAfterBytes));
    }
    EchoServer.Builder builder =
        EchoServer.builder()
            .host(host)
            .port(port)
            .mode(aggregate ? EchoMode.aggregating(maxContentLength) : EchoMode.streaming())
            .effects(effects);
    if (ioThreads != null) {
      builder.ioThreads(ioThreads);
    }
    return builder.build();
  }

  private static void writeReadyFile(Path path, int port) throws IOException {
    Properties properties = new Properties();
    properties.setProperty("http.port", Integer.toString(port));
    properties.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
    Path absolute = path.toAbsolutePath();
    Path tmp = absolute.resolveSibling(absolute.getFileName() + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      properties.store(out, "extproc echo");
    }
    Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Parses {@code 250ms}, {@code 2s}, {@code 1m}, {@code 500us}, {@code 0} or ISO-8601 {@code PT2S}. */
  static final class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern SIMPLE = Pattern.compile("(\\d+)\\s*(ns|us|ms|s|m|h)?");

    @Override
    public Duration convert(String value) {
      Matcher m = SIMPLE.matcher(value.trim().toLowerCase(Locale.ROOT));
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? (n == 0 ? "ms" : "") : m.group(2);
        switch (unit) {
          case "ns":
            return Duration.ofNanos(n);
          case "us":
            return Duration.ofNanos(n * 1000);
          case "ms":
            return Duration.ofMillis(n);
          case "s":
            return Duration.ofSeconds(n);
          case "m":
            return Duration.ofMinutes(n);
          case "h":
            return Duration.ofHours(n);
          default:
            break;
        }
      } else {
        try {
          return Duration.parse(value.trim());
        } catch (DateTimeParseException e) {
          // fall through to the message below
        }
      }
      throw new TypeConversionException(value + " (expected: a duration like 250ms, 2s, 1m or PT2S)");
    }
  }
}
