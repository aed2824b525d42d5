package dev.extproc.server;

import static java.util.Objects.requireNonNull;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.CertificateUtils;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * TLS for the gRPC listener: a PEM certificate chain and PKCS#8 PEM private key, and optionally a
 * PEM CA bundle that client certificates must chain to (mTLS, client certificates then required
 * unless {@link #clientCertificatesOptional()}). The files are checked every {@link
 * #refreshInterval()}: a rotated certificate, key or CA is used for new connections without a
 * restart (once the key and certificate match again), and connections already open keep theirs.
 *
 * <p>{@link #validate()} checks the files before anything listens; its messages start with the
 * setting's name ({@code tls-cert}, {@code tls-key}, {@code tls-client-ca}) and name the file and
 * what was expected. Immutable.
 */
public final class ServerTls {
  /** How often the files are checked for a change by default. */
  public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofMinutes(1);

  private final Path certChain;
  private final Path privateKey;
  private final @Nullable Path clientCa;
  private final boolean clientCertificatesOptional;
  private final Duration refreshInterval;

  private ServerTls(Path certChain, Path privateKey, @Nullable Path clientCa, boolean optional, Duration refresh) {
    this.certChain = certChain;
    this.privateKey = privateKey;
    this.clientCa = clientCa;
    this.clientCertificatesOptional = optional;
    this.refreshInterval = refresh;
  }

  /** TLS with the server certificate chain and key in these PEM files; no client certificates asked. */
  public static ServerTls of(Path certChain, Path privateKey) {
    return new ServerTls(requireNonNull(certChain, "certChain"), requireNonNull(privateKey, "privateKey"), null, false,
        DEFAULT_REFRESH_INTERVAL);
  }

  /** Returns a copy that requires client certificates chaining to the CAs in {@code caBundle} (mTLS). */
  public ServerTls withClientCa(Path caBundle) {
    return new ServerTls(certChain, privateKey, requireNonNull(caBundle, "caBundle"), clientCertificatesOptional,
        refreshInterval);
  }

  /** Returns a copy that asks for client certificates but accepts clients without one. */
  public ServerTls withClientCertificatesOptional(boolean optional) {
    return new ServerTls(certChain, privateKey, clientCa, optional, refreshInterval);
  }

  /** Returns a copy that checks the files for changes every {@code interval}. */
  public ServerTls withRefreshInterval(Duration interval) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("tls refresh interval: " + interval + " (expected: > 0)");
    }
    return new ServerTls(certChain, privateKey, clientCa, clientCertificatesOptional, interval);
  }

  public Path certChain() {
    return certChain;
  }

  public Path privateKey() {
    return privateKey;
  }

  public @Nullable Path clientCa() {
    return clientCa;
  }

  public boolean clientCertificatesOptional() {
    return clientCertificatesOptional;
  }

  public Duration refreshInterval() {
    return refreshInterval;
  }

  /**
   * Checks that every file is readable and parses, and that the key belongs to the certificate.
   *
   * @throws IllegalArgumentException naming the setting, the file and what was expected
   */
  public void validate() {
    readIdentity();
    if (clientCa != null) {
      certificates("tls-client-ca", clientCa, "a PEM CA certificate bundle");
    }
  }

  /** The key and certificate chain read from the files, checked to belong together. */
  record Identity(PrivateKey key, X509Certificate[] chain) {}

  Identity readIdentity() {
    X509Certificate[] chain = certificates("tls-cert", certChain, "a PEM certificate chain");
    PrivateKey key;
    Path keyFile = readable("tls-key", privateKey, "a PEM PKCS#8 private key");
    try (InputStream in = Files.newInputStream(keyFile)) {
      key = CertificateUtils.getPrivateKey(in);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException("tls-key: " + privateKey + ": not a private key (" + e.getMessage()
          + "; expected: a PEM PKCS#8 private key, -----BEGIN PRIVATE KEY-----)");
    }
    if (!matches(key, chain[0].getPublicKey())) {
      throw new IllegalArgumentException("tls-key: " + privateKey + ": does not match the certificate in " + certChain
          + " (expected: the private key of " + chain[0].getSubjectX500Principal().getName() + ")");
    }
    return new Identity(key, chain);
  }

  X509Certificate[] readClientCa() {
    return certificates("tls-client-ca", clientCa, "a PEM CA certificate bundle");
  }

  /**
   * Loads the files and starts checking them every {@link #refreshInterval()} on {@code
   * scheduler} ({@link TlsReloader}). The returned handle's credentials go to the gRPC server;
   * close it after the server.
   */
  Loaded load(ScheduledExecutorService scheduler) throws GeneralSecurityException {
    AdvancedTlsX509KeyManager keyManager = new AdvancedTlsX509KeyManager();
    AdvancedTlsX509TrustManager trustManager = null;
    TlsServerCredentials.Builder credentials = TlsServerCredentials.newBuilder().keyManager(keyManager);
    if (clientCa != null) {
      trustManager = AdvancedTlsX509TrustManager.newBuilder()
          .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION)
          .build();
      credentials.trustManager(trustManager).clientAuth(clientCertificatesOptional
          ? TlsServerCredentials.ClientAuth.OPTIONAL : TlsServerCredentials.ClientAuth.REQUIRE);
    }
    TlsReloader reloader = new TlsReloader(this, keyManager, trustManager);
    reloader.reloadNow();
    long period = refreshInterval.toNanos();
    java.util.concurrent.ScheduledFuture<?> task =
        scheduler.scheduleWithFixedDelay(reloader::reloadIfChanged, period, period, TimeUnit.NANOSECONDS);
    return new Loaded(credentials.build(), List.of(() -> task.cancel(false)));
  }

  /** Credentials in force plus the reload tasks to stop when the server stops. */
  record Loaded(ServerCredentials credentials, List<Closeable> reloads) implements Closeable {
    @Override
    public void close() {
      for (Closeable reload : reloads) {
        try {
          reload.close();
        } catch (IOException e) {
          // A reload task that cannot be cancelled has nothing left to release.
        }
      }
    }
  }

  @Override
  public String toString() {
    return "tls(cert=" + certChain + ", key=" + privateKey + (clientCa == null ? "" : ", client-ca=" + clientCa
        + (clientCertificatesOptional ? " optional" : " required")) + ", refresh=" + refreshInterval + ")";
  }

  private static Path readable(String setting, Path file, String expected) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(setting + ": " + file + ": no such file (expected: " + expected + ")");
    }
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(setting + ": " + file + ": not readable (expected: " + expected
          + " this process may read)");
    }
    return file;
  }

  private static X509Certificate[] certificates(String setting, Path file, String expected) {
    X509Certificate[] certificates;
    Path readableFile = readable(setting, file, expected);
    try (InputStream in = Files.newInputStream(readableFile)) {
      certificates = CertificateUtils.getX509Certificates(in);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException(setting + ": " + file + ": not a certificate (" + e.getMessage()
          + "; expected: " + expected + ")");
    }
    if (certificates.length == 0) {
      throw new IllegalArgumentException(setting + ": " + file + ": holds no certificate (expected: " + expected + ")");
    }
    return certificates;
  }

  private static boolean matches(PrivateKey key, PublicKey publicKey) {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> null;
    };
    if (algorithm == null || !key.getAlgorithm().equals(publicKey.getAlgorithm())
        && !(key.getAlgorithm().startsWith("Ed") && publicKey.getAlgorithm().startsWith("Ed"))) {
      return false;
    }
    try {
      byte[] probe = "extproc key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
