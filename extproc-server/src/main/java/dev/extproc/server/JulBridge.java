package dev.extproc.server;

import java.util.logging.Level;
import java.util.logging.LogManager;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Routes {@code java.util.logging} (what grpc-java logs through) to SLF4J, so gRPC's messages go
 * through the application's logging backend, format and levels instead of JDK logging's own
 * console handler on stderr.
 */
public final class JulBridge {
  private JulBridge() {}

  /**
   * Removes JDK logging's root handlers and installs SLF4J's bridge handler, if not installed yet.
   * Idempotent and thread-safe (JDK logging's root logger is process-wide by nature). JDK logging's
   * root level is INFO: finer gRPC tracing is not worth the bridge's cost on the hot path.
   */
  public static synchronized void install() {
    if (SLF4JBridgeHandler.isInstalled()) {
      return;
    }
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    LogManager.getLogManager().getLogger("").setLevel(Level.INFO);
  }
}
