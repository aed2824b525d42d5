package dev.extproc.server;

import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads the TLS files when any of them changed and swaps them into grpc-java's advanced key and
 * trust managers, which new handshakes consult. A half-rotated pair (the key written, the
 * certificate not yet) does not match and is not used: the previous pair stays in force and the
 * next check tries again. grpc-java's own file watching is not used because it waits at least a
 * minute and reloads only when both the key and the certificate files changed.
 *
 * <p>Runs on the server's scheduler, one check at a time (fixed delay); not thread-safe otherwise.
 */
final class TlsReloader {
  private static final Logger log = LoggerFactory.getLogger(TlsReloader.class);

  private final ServerTls tls;
  private final AdvancedTlsX509KeyManager keyManager;
  private final @Nullable AdvancedTlsX509TrustManager trustManager;
  private List<FileTime> loaded = List.of();
  private @Nullable String lastFailure;

  TlsReloader(ServerTls tls, AdvancedTlsX509KeyManager keyManager, @Nullable AdvancedTlsX509TrustManager trustManager) {
    this.tls = tls;
    this.keyManager = keyManager;
    this.trustManager = trustManager;
  }

  /** Loads the files now; throws IllegalArgumentException or GeneralSecurityException when they are unusable. */
  void reloadNow() throws GeneralSecurityException {
    List<FileTime> times = modificationTimes();
    ServerTls.Identity identity = tls.readIdentity();
    if (trustManager != null) {
      try {
        trustManager.updateTrustCredentials(tls.readClientCa());
      } catch (IOException e) {
        throw new GeneralSecurityException("tls-client-ca: " + tls.clientCa() + ": " + e.getMessage(), e);
      }
    }
    keyManager.updateIdentityCredentials(identity.chain(), identity.key());
    loaded = times;
  }

  /** Reloads when a file's modification time changed; logs (once per distinct problem) and keeps the old credentials on failure. */
  void reloadIfChanged() {
    List<FileTime> times;
    try {
      times = modificationTimes();
    } catch (RuntimeException e) {
      warnOnce(e.getMessage());
      return;
    }
    if (times.equals(loaded)) {
      return;
    }
    try {
      reloadNow();
      lastFailure = null;
      log.info("TLS credentials reloaded from {}", tls);
    } catch (GeneralSecurityException | RuntimeException e) {
      warnOnce(e.getMessage());
    }
  }

  private void warnOnce(String message) {
    if (!Objects.equals(message, lastFailure)) {
      lastFailure = message;
      log.warn("TLS files changed but cannot be used yet, keeping the previous credentials: {}", message);
    }
  }

  private List<FileTime> modificationTimes() {
    List<FileTime> times = new ArrayList<>();
    times.add(time(tls.certChain()));
    times.add(time(tls.privateKey()));
    if (tls.clientCa() != null) {
      times.add(time(tls.clientCa()));
    }
    return times;
  }

  private static FileTime time(Path file) {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage());
    }
  }
}
