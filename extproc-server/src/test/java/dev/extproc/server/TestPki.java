package dev.extproc.server;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/** Test certificates made on the fly (EC P-256): CAs and leaves, written as PEM files. Nothing is committed. */
final class TestPki {
  private final AtomicLong serial = new AtomicLong(1);

  /** A key pair and its certificate. */
  record Issued(KeyPair keys, X509Certificate certificate, X500Name name) {
    /** Writes the certificate to {@code dir/prefix.crt} and the PKCS#8 key to {@code dir/prefix.key}. */
    Files2 write(Path dir, String prefix) {
      Path crt = dir.resolve(prefix + ".crt");
      Path key = dir.resolve(prefix + ".key");
      writeCertificate(crt, certificate);
      writeKey(key, keys);
      return new Files2(crt, key);
    }
  }

  /** A certificate file and its key file. */
  record Files2(Path cert, Path key) {}

  Issued ca(String commonName) {
    KeyPair keys = keyPair();
    X500Name name = new X500Name("CN=" + commonName);
    return new Issued(keys, sign(name, keys, name, keys, Instant.now().minus(Duration.ofHours(1)),
        Instant.now().plus(Duration.ofDays(1)), true), name);
  }

  Issued leaf(Issued ca, String commonName, Instant notBefore, Instant notAfter) {
    KeyPair keys = keyPair();
    return new Issued(keys, sign(new X500Name("CN=" + commonName), keys, ca.name(), ca.keys(), notBefore, notAfter,
        false), new X500Name("CN=" + commonName));
  }

  Issued leaf(Issued ca, String commonName) {
    return leaf(ca, commonName, Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(1)));
  }

  static void writeCertificate(Path file, X509Certificate... certificates) {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
      for (X509Certificate certificate : certificates) {
        pem.writeObject(certificate);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    write(file, text.toString());
  }

  static void writeKey(Path file, KeyPair keys) {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
      pem.writeObject(new PemObject("PRIVATE KEY", keys.getPrivate().getEncoded()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    write(file, text.toString());
  }

  private static void write(Path file, String text) {
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, text);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(256);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private X509Certificate sign(X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys,
      Instant notBefore, Instant notAfter, boolean ca) {
    try {
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(serial.getAndIncrement()),
          Date.from(notBefore), Date.from(notAfter), subject, subjectKeys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (ca) {
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
      }
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
