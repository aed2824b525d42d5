package dev.extproc.app;

import dev.extproc.BodyMode;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcConfig.ProcessorErrorPolicy;
import dev.extproc.app.ProcessorOptions.ProcessorSetup;
import dev.extproc.server.ExtProcServer;
import dev.extproc.server.ExtProcServerBuilder;
import dev.extproc.server.Listener;
import dev.extproc.server.ServerTls;
import dev.extproc.stack.ReadyFile;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
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

/**
 * {@code extproc server}: the command-line face of {@link ExtProcServer}. Every option can also
 * come from the environment ({@code EXTPROC_<OPTION>}) or a YAML file ({@code --config}); a flag
 * wins over the environment, which wins over the file, which wins over the default ({@link
 * ConfigSources}).
 */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Runs the ext_proc gRPC server (plus /healthz, /stats, /metrics on the admin port) until SIGTERM."
        + " Every option may also be set as EXTPROC_<OPTION> (e.g. EXTPROC_TLS_CERT) or in the --config file"
        + " (e.g. tls-cert: server.crt); precedence: flag > environment > file > default.")
final class ServerCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ServerCommand.class);

  @Spec CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE", description = "YAML file of option values, keys named like the flags without --.")
  Path configFile;

  @Option(names = "--print-config", description = "Prints the effective configuration (YAML, with where each value came from) and exits.")
  boolean printConfig;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address the gRPC server binds (default: ${DEFAULT-VALUE}; 0.0.0.0 for all interfaces).")
  String host;

  @Option(names = "--port", defaultValue = "9001", description = "gRPC port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--uds", paramLabel = "PATH", description = "Listen on this Unix domain socket instead of --host/--port (mode 0660).")
  Path uds;

  @Option(names = "--admin-host", defaultValue = "127.0.0.1", description = "Address the admin server binds (default: ${DEFAULT-VALUE}, loopback only).")
  String adminHost;

  @Option(names = "--admin-port", defaultValue = "9002", description = "Admin HTTP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int adminPort;

  @Option(names = "--admin-request-timeout", defaultValue = "10s", converter = Sizes.Durations.class,
      description = "An admin connection that has not sent a whole request within this is closed (default: ${DEFAULT-VALUE}).")
  Duration adminRequestTimeout;

  @Option(names = "--tls-cert", paramLabel = "FILE", description = "PEM certificate chain: serve gRPC over TLS (with --tls-key).")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM PKCS#8 private key of --tls-cert.")
  Path tlsKey;

  @Option(names = "--tls-client-ca", paramLabel = "FILE", description = "PEM CA bundle: client certificates are then required and must chain to it (mTLS).")
  Path tlsClientCa;

  @Option(names = "--tls-client-auth", defaultValue = "require",
      description = "With --tls-client-ca: require (default) or optional (clients without a certificate are let in; one that is presented must chain to the CA).")
  String tlsClientAuth;

  @Option(names = "--tls-refresh", defaultValue = "1m", converter = Sizes.Durations.class,
      description = "How often the TLS files are checked for rotation (default: ${DEFAULT-VALUE}).")
  Duration tlsRefresh;

  @Option(names = "--log-format", defaultValue = "text", description = "text or json (one JSON object per line) (default: ${DEFAULT-VALUE}).")
  String logFormat;

  @Option(names = "--log-level", defaultValue = "INFO", description = "Root log level: ERROR, WARN, INFO, DEBUG or TRACE (default: ${DEFAULT-VALUE}).")
  String logLevel;

  @Option(names = "--log-exchanges", description = "Log one INFO summary line per exchange (outcome, modes, bytes, duration).")
  boolean logExchanges;

  @Option(names = "--redact-header", split = ",", paramLabel = "NAME",
      description = "Header names whose values are redacted in logs, besides authorization, cookie, set-cookie and proxy-authorization.")
  List<String> redactHeaders = List.of();

  @Option(names = "--ready-file", description = "Written once listening (properties: grpc.port or grpc.uds, admin.port, pid).")
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
    ConfigSources.Resolved resolved;
    try {
      resolved = ConfigSources.resolve(spec, System.getenv());
    } catch (IllegalArgumentException e) {
      return usageError(err, e.getMessage());
    }
    ServerCommand effective = resolved.command();
    if (effective.printConfig) {
      spec.commandLine().getOut().print(resolved.printable());
      spec.commandLine().getOut().flush();
      return 0;
    }
    return effective.run(err);
  }

  private int run(PrintWriter err) throws InterruptedException {
    ExtProcConfig config;
    Listener listener;
    ServerTls tls;
    ProcessorSetup setup;
    try {
      LogSetup.apply(logFormat, logLevel, redactHeaders);
      config = config();
      listener = listener();
      tls = tls();
      setup = processorOptions.toSetup(config);
    } catch (IllegalArgumentException e) {
      return usageError(err, e.getMessage());
    }
    ExtProcServerBuilder builder = ExtProcServer.builder(setup.factory()).config(config).listener(listener).tls(tls)
        .admin(new InetSocketAddress(adminHost, adminPort)).adminRequestTimeout(adminRequestTimeout)
        .drainGrace(shutdownGrace).logExchanges(logExchanges).closeOnStop(setup.resources());
    setup.gauges().forEach(builder::gauge);
    setup.counters().forEach(builder::counter);
    ExtProcServer server;
    try {
      server = builder.start();
    } catch (IllegalArgumentException e) {
      closeQuietly(setup);
      // The builder names its settings as the flags do, without the dashes (tls-cert: ..., uds: ...).
      return usageError(err, "--" + e.getMessage());
    } catch (IOException e) {
      closeQuietly(setup);
      err.println("extproc server: cannot listen on " + listener + " / admin " + adminHost + ":" + adminPort + ": "
          + e.getMessage());
      err.flush();
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(shutdownGrace), "extproc-shutdown"));
    log.info("ext_proc server listening on {}{} (admin {}:{}) processors={} request_body_mode={} response_body_mode={}"
            + " max_chunk_bytes={} max_body_message_bytes={} max_pending_output_bytes={}",
        listener, tls == null ? "" : tlsClientCa == null ? " with TLS" : " with mTLS", adminHost, server.adminPort(),
        processorOptions.processors, requestBodyMode, responseBodyMode, maxChunkBytes, maxBodyMessageBytes,
        maxPendingOutputBytes);
    if (readyFile != null) {
      Map<String, String> ready = new LinkedHashMap<>();
      if (uds != null) {
        ready.put("grpc.uds", uds.toAbsolutePath().toString());
      } else {
        ready.put("grpc.port", Integer.toString(server.grpcPort()));
      }
      ready.put("admin.port", Integer.toString(server.adminPort()));
      ReadyFile.write(readyFile, ready);
    }
    server.awaitTermination();
    return 0;
  }

  Listener listener() {
    return uds != null ? Listener.uds(uds) : Listener.tcp(host, port);
  }

  /** Returns the TLS settings, or null for plaintext; throws IllegalArgumentException when only half is given. */
  ServerTls tls() {
    if (tlsCert == null && tlsKey == null) {
      if (tlsClientCa != null) {
        throw new IllegalArgumentException("--tls-client-ca: " + tlsClientCa + " (expected: with --tls-cert and --tls-key)");
      }
      return null;
    }
    if (tlsCert == null || tlsKey == null) {
      throw new IllegalArgumentException(tlsCert == null
          ? "--tls-key: " + tlsKey + " (expected: with --tls-cert FILE)"
          : "--tls-cert: " + tlsCert + " (expected: with --tls-key FILE)");
    }
    if (!tlsClientAuth.equals("require") && !tlsClientAuth.equals("optional")) {
      throw new IllegalArgumentException("--tls-client-auth: " + tlsClientAuth + " (expected: require or optional)");
    }
    ServerTls tls = ServerTls.of(tlsCert, tlsKey).withRefreshInterval(tlsRefresh);
    return tlsClientCa == null ? tls
        : tls.withClientCa(tlsClientCa).withClientCertificatesOptional(tlsClientAuth.equals("optional"));
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

  /** Prints a one-line error plus a hint; returns the usage-error exit code. */
  static int usageError(PrintWriter err, String message) {
    err.println("extproc server: " + message);
    err.println("Try 'extproc server --help' for the options.");
    err.flush();
    return 2;
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
