package dev.extproc.app;

import dev.extproc.echo.EchoEffect;
import dev.extproc.echo.EchoMode;
import dev.extproc.echo.EchoServer;
import dev.extproc.stack.ReadyFile;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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
    description = "Runs the HTTP echo backend: HTTP/1.1 and h2c (prior knowledge) on one port; the request body "
        + "is streamed back as the response body as it arrives. GET /healthz answers ok.")
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
      defaultValue = "100MiB",
      converter = Sizes.IntBytes.class,
      paramLabel = "SIZE",
      description = "Largest body in --aggregate mode, e.g. 104857600 or 100MiB (default: ${DEFAULT-VALUE}, the seed's).")
  int maxContentLength;

  @Option(
      names = "--delay-headers",
      paramLabel = "DURATION",
      converter = Sizes.Durations.class,
      description = "Fault: delay each response's headers, e.g. 250ms, 2s.")
  Duration delayHeaders;

  @Option(
      names = "--throttle-bytes-per-second",
      paramLabel = "SIZE",
      converter = LongBytes.class,
      description = "Fault: echo each body no faster than SIZE bytes per second, e.g. 64KiB.")
  Long throttleBytesPerSecond;

  @Option(
      names = "--reset-after-bytes",
      paramLabel = "SIZE",
      converter = LongBytes.class,
      description = "Fault: reset each exchange after SIZE echoed body bytes (HTTP/1.1: close; HTTP/2: RST_STREAM).")
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
        ReadyFile.write(readyFile, Map.of("http.port", Integer.toString(boundPort)));
      } catch (UncheckedIOException e) {
        System.err.println("extproc echo: " + e.getMessage());
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

  /** picocli converter to a long byte count ({@code 65536}, {@code 64KiB}, {@code 1MiB}). */
  static final class LongBytes implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      try {
        return Sizes.parseBytes(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
