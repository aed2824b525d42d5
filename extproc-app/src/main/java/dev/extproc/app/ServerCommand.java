package dev.extproc.app;

import dev.extproc.BodyMode;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcConfig.ProcessorErrorPolicy;
import dev.extproc.app.ProcessorOptions.ProcessorSetup;
import dev.extproc.stack.ReadyFile;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code extproc server}: runs the ext_proc gRPC server and its admin HTTP endpoints until SIGTERM. */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = "Runs the ext_proc gRPC server (plus /healthz, /stats, /metrics on the admin port) until SIGTERM.")
final class ServerCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ServerCommand.class);

  @Spec CommandSpec spec;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address both servers bind (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "9001", description = "gRPC port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--admin-port", defaultValue = "9002", description = "Admin HTTP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int adminPort;

  @Option(names = "--ready-file", description = "Written once listening (properties: grpc.port, admin.port, pid).")
  Path readyFile;

  @Option(names = "--request-body-mode", defaultValue = "STREAMED",
      description = "Request body mode assumed when Envoy sends no protocol_config: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  BodyMode requestBodyMode;

  @Option(names = "--response-body-mode", defaultValue = "STREAMED",
      description = "Response body mode assumed when Envoy sends no protocol_config: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  BodyMode responseBodyMode;

  @Option(names = "--max-chunk-bytes", defaultValue = "64KiB", converter = Sizes.IntBytes.class,
      description = "Largest FULL_DUPLEX_STREAMED reply chunk (default: ${DEFAULT-VALUE}).")
  int maxChunkBytes;

  @Option(names = "--max-body-message-bytes", defaultValue = "32MiB", converter = Sizes.IntBytes.class,
      description = "Largest body Envoy may send in one message (match Envoy's buffer limits); sets the gRPC max inbound message size (default: ${DEFAULT-VALUE}).")
  int maxBodyMessageBytes;

  @Option(names = "--max-pending-output-bytes", defaultValue = "1MiB", converter = Sizes.IntBytes.class,
      description = "Output held per stream before the processor and Envoy are slowed down (default: ${DEFAULT-VALUE}).")
  int maxPendingOutputBytes;

  @Option(names = "--mode-override-allowed",
      description = "Envoy is configured with allow_mode_override: processors may send mode_override.")
  boolean modeOverrideAllowed;

  @Option(names = "--on-processor-error", defaultValue = "fail-stream", converter = PolicyConverter.class,
      description = "What the client sees when a processor fails: fail-stream (Envoy's failure mode decides, 500 by default) or immediate-500 (default: ${DEFAULT-VALUE}).")
  ProcessorErrorPolicy onProcessorError;

  @Option(names = "--shutdown-grace", defaultValue = "10s", converter = Sizes.Durations.class,
      description = "On SIGTERM, how long streams in flight may finish before they are cancelled (default: ${DEFAULT-VALUE}).")
  Duration shutdownGrace;

  @Mixin ProcessorOptions processorOptions;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    ExtProcConfig config;
    ProcessorSetup setup;
    try {
      config = config();
      setup = processorOptions.toSetup(config);
    } catch (IllegalArgumentException e) {
      err.println("extproc server: " + e.getMessage());
      err.flush();
      return 2;
    }
    ExtProcServer server;
    try {
      server = ExtProcServer.start(host, port, adminPort, config, setup);
    } catch (IOException e) {
      closeQuietly(setup);
      err.println("extproc server: cannot listen on " + host + ":" + port + " / admin " + adminPort + ": " + e.getMessage());
      err.flush();
      return 1;
    }
    Thread hook = new Thread(() -> server.stop(shutdownGrace), "extproc-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    log.info("ext_proc server listening on {}:{} (admin {}) processors={} request_body_mode={} response_body_mode={}"
            + " max_chunk_bytes={} max_body_message_bytes={} max_pending_output_bytes={} max_inbound_message_bytes={}",
        host, server.grpcPort(), server.adminPort(), processorOptions.processors, requestBodyMode, responseBodyMode,
        config.maxChunkBytes(), config.maxBodyMessageBytes(), config.maxPendingOutputBytes(), config.maxInboundMessageBytes());
    if (readyFile != null) {
      ReadyFile.write(readyFile, Map.of(
          "grpc.port", Integer.toString(server.grpcPort()),
          "admin.port", Integer.toString(server.adminPort())));
    }
    server.awaitTermination();
    return 0;
  }

  /** Returns the engine configuration the options describe; throws IllegalArgumentException when inconsistent. */
  ExtProcConfig config() {
    ProcessingMode mode = ProcessingMode.newBuilder()
        .setRequestHeaderMode(HeaderSendMode.SEND)
        .setResponseHeaderMode(HeaderSendMode.SEND)
        .setRequestBodyMode(requestBodyMode.toProto())
        .setResponseBodyMode(responseBodyMode.toProto())
        .setRequestTrailerMode(HeaderSendMode.SEND)
        .setResponseTrailerMode(HeaderSendMode.SEND)
        .build();
    return new ExtProcConfig(maxChunkBytes, maxBodyMessageBytes, maxPendingOutputBytes, 0, mode,
        modeOverrideAllowed, onProcessorError);
  }

  private static void closeQuietly(ProcessorSetup setup) {
    try {
      setup.resources().close();
    } catch (Exception e) {
      log.warn("closing processor resources failed: {}", e.toString());
    }
  }

  /** Parses {@code fail-stream} and {@code immediate-500}. */
  static final class PolicyConverter implements ITypeConverter<ProcessorErrorPolicy> {
    @Override
    public ProcessorErrorPolicy convert(String value) {
      switch (value.toLowerCase(Locale.ROOT)) {
        case "fail-stream":
          return ProcessorErrorPolicy.FAIL_STREAM;
        case "immediate-500":
          return ProcessorErrorPolicy.IMMEDIATE_500;
        default:
          throw new TypeConversionException(
              "--on-processor-error: " + value + " (expected: fail-stream or immediate-500)");
      }
    }
  }
}
