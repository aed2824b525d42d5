package dev.extproc.app.sse;

import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.ProcessorFactory;
import dev.extproc.stack.EnvoyAdmin;
import dev.extproc.stack.EnvoyInstallation;
import dev.extproc.stack.ManagedProcess;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Envoy with a test's own configuration (a resource with {@code {{ACCESS_LOG}}}, {@code
 * {{EXTPROC_PORT}}} and {@code {{UPSTREAM_PORT}}}) in front of an in-process ext_proc server on real
 * Netty, everything on loopback and ephemeral ports. {@link #close()} stops all of it.
 */
final class EnvoyFixture implements AutoCloseable {
  final ExtProcService service;
  final EnvoyAdmin admin;
  final int listenerPort;
  final Path accessLog;
  private final ScheduledExecutorService scheduler;
  private final Server grpc;
  private final ManagedProcess envoy;

  EnvoyFixture(Path dir, String configResource, ProcessorFactory factory, ExtProcConfig config, int upstreamPort)
      throws IOException {
    scheduler = Executors.newScheduledThreadPool(2);
    service = ExtProcService.builder(factory).config(config).scheduler(scheduler).build();
    grpc = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .maxInboundMessageSize(config.maxInboundMessageBytes())
        .flowControlWindow(1024 * 1024)
        .addService(service).build().start();
    accessLog = dir.resolve("access.log");
    Path file = dir.resolve("envoy.yaml");
    String template = new String(EnvoyFixture.class.getResourceAsStream(configResource).readAllBytes(), StandardCharsets.UTF_8);
    Files.writeString(file, template.replace("{{ACCESS_LOG}}", accessLog.toString())
        .replace("{{EXTPROC_PORT}}", Integer.toString(grpc.getPort()))
        .replace("{{UPSTREAM_PORT}}", Integer.toString(upstreamPort)));
    Path adminFile = dir.resolve("admin.address");
    envoy = ManagedProcess.start("envoy", List.of(EnvoyInstallation.locate().binary().toString(), "-c", file.toString(),
        "--admin-address-path", adminFile.toString(), "--disable-hot-restart", "--concurrency", "1",
        "--log-level", "warning", "--file-flush-interval-msec", "100"), dir.resolve("envoy.log"));
    int adminPort = envoy.awaitReady("Envoy admin address", () -> readPort(adminFile), Duration.ofSeconds(30));
    admin = new EnvoyAdmin(URI.create("http://127.0.0.1:" + adminPort));
    listenerPort = envoy.awaitReady("listener bound", () -> {
      Map<String, InetSocketAddress> bound = admin.listeners();
      InetSocketAddress listener = bound.get("test");
      return listener != null && listener.getPort() != 0 ? Optional.of(listener.getPort()) : Optional.empty();
    }, Duration.ofSeconds(30));
  }

  /** Waits for the access log line of the request to {@code path} and returns its match of {@code line}. */
  Matcher awaitAccessLog(String path, Pattern line) {
    return envoy.awaitReady("access log line for " + path, () -> {
      try {
        if (!Files.exists(accessLog)) {
          return Optional.empty();
        }
        for (String text : Files.readAllLines(accessLog)) {
          Matcher m = line.matcher(text);
          if (m.matches() && text.startsWith(path + " ")) {
            return Optional.of(m);
          }
        }
        return Optional.empty();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, Duration.ofSeconds(20));
  }

  private static Optional<Integer> readPort(Path file) {
    try {
      String text = Files.exists(file) ? Files.readString(file).strip() : "";
      int port = text.isEmpty() ? 0 : Integer.parseInt(text.substring(text.lastIndexOf(':') + 1));
      return port > 0 ? Optional.of(port) : Optional.empty();
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  @Override
  public void close() throws InterruptedException {
    envoy.close();
    grpc.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    scheduler.shutdownNow();
  }
}
