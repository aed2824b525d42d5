package dev.extproc.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.extproc.PassthroughProcessor;
import dev.extproc.testing.FakeEnvoy;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS and mTLS on the gRPC listener, with certificates the test makes. */
class ServerTlsTest {
  private final TestPki pki = new TestPki();

  @Test
  void mtls_acceptsAClientOfTheCa_refusesNoCertOtherCaExpiredAndPlaintext(@TempDir Path dir) throws Exception {
    TestPki.Issued ca = pki.ca("client-ca");
    TestPki.Files2 server = pki.leaf(ca, "server").write(dir, "server");
    Path caFile = dir.resolve("ca.crt");
    TestPki.writeCertificate(caFile, ca.certificate());
    TestPki.Files2 good = pki.leaf(ca, "envoy").write(dir, "good");
    TestPki.Files2 foreign = pki.leaf(pki.ca("other-ca"), "envoy").write(dir, "foreign");
    TestPki.Files2 expired = pki.leaf(ca, "envoy", Instant.now().minus(Duration.ofDays(2)),
        Instant.now().minus(Duration.ofDays(1))).write(dir, "expired");

    ExtProcServer ext = ExtProcServer.builder(PassthroughProcessor.factory())
        .listener(Listener.tcp("127.0.0.1", 0))
        .tls(ServerTls.of(server.cert(), server.key()).withClientCa(caFile))
        .start();
    try {
      assertThat(health(ext, tls(caFile, good))).isEqualTo(Status.Code.OK);
      ManagedChannel channel = channel(ext, tls(caFile, good));
      try {
        assertThat(FakeEnvoy.forChannel(channel).run(ExtProcServerTest.smallExchange()).client().body().utf8())
            .isEqualTo("world");
      } finally {
        channel.shutdownNow();
      }
      assertThat(health(ext, tls(caFile, null))).as("no client certificate").isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(health(ext, tls(caFile, foreign))).as("client certificate of another CA").isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(health(ext, tls(caFile, expired))).as("expired client certificate").isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(health(ext, InsecureChannelCredentials.create())).as("plaintext").isEqualTo(Status.Code.UNAVAILABLE);
    } finally {
      ext.stop(Duration.ofSeconds(5));
    }
  }

  @Test
  void rotatedServerCertificate_isUsedForNewConnections_whileAStreamInFlightCompletes(@TempDir Path dir) throws Exception {
    TestPki.Issued oldCa = pki.ca("old-ca");
    TestPki.Issued newCa = pki.ca("new-ca");
    Path oldCaFile = dir.resolve("old-ca.crt");
    Path newCaFile = dir.resolve("new-ca.crt");
    TestPki.writeCertificate(oldCaFile, oldCa.certificate());
    TestPki.writeCertificate(newCaFile, newCa.certificate());
    TestPki.Files2 serverFiles = pki.leaf(oldCa, "server").write(dir, "server");

    ExtProcServer ext = ExtProcServer.builder(PassthroughProcessor.factory())
        .listener(Listener.tcp("127.0.0.1", 0))
        .tls(ServerTls.of(serverFiles.cert(), serverFiles.key()).withRefreshInterval(Duration.ofMillis(200)))
        .start();
    ManagedChannel old = channel(ext, tls(oldCaFile, null));
    try {
      LinkedBlockingQueue<ProcessingResponse> replies = new LinkedBlockingQueue<>();
      CompletableFuture<Status> done = new CompletableFuture<>();
      StreamObserver<ProcessingRequest> inFlight = ExternalProcessorGrpc.newStub(old).process(new StreamObserver<>() {
        @Override
        public void onNext(ProcessingResponse value) {
          replies.add(value);
        }

        @Override
        public void onError(Throwable t) {
          done.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
          done.complete(Status.OK);
        }
      });
      inFlight.onNext(requestHeaders());
      assertThat(replies.poll(10, TimeUnit.SECONDS)).as("reply before rotation").isNotNull();
      assertThat(health(ext, tls(newCaFile, null))).as("new CA before rotation").isEqualTo(Status.Code.UNAVAILABLE);

      TestPki.Issued rotated = pki.leaf(newCa, "server");
      TestPki.writeKey(serverFiles.key(), rotated.keys());
      TestPki.writeCertificate(serverFiles.cert(), rotated.certificate());

      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
          .until(() -> health(ext, tls(newCaFile, null)) == Status.Code.OK);
      inFlight.onNext(ProcessingRequest.newBuilder().setRequestBody(io.envoyproxy.envoy.service.ext_proc.v3.HttpBody
          .newBuilder().setBody(com.google.protobuf.ByteString.copyFromUtf8("after rotation")).setEndOfStream(true)).build());
      ProcessingResponse bodyReply = replies.poll(10, TimeUnit.SECONDS);
      assertThat(bodyReply).as("the stream opened before rotation still answers").isNotNull();
      assertThat(bodyReply.hasRequestBody()).isTrue();
      inFlight.onCompleted();
      assertThat(done.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
    } finally {
      old.shutdownNow();
      ext.stop(Duration.ofSeconds(5));
    }
  }

  @Test
  void validate_namesTheSettingTheFileAndWhatWasExpected(@TempDir Path dir) throws IOException {
    TestPki.Issued ca = pki.ca("ca");
    TestPki.Files2 one = pki.leaf(ca, "one").write(dir, "one");
    TestPki.Files2 two = pki.leaf(ca, "two").write(dir, "two");
    Path missing = dir.resolve("missing.crt");
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a pem\n");

    assertThatThrownBy(() -> ServerTls.of(missing, one.key()).validate())
        .hasMessage("tls-cert: " + missing + ": no such file (expected: a PEM certificate chain)");
    assertThatThrownBy(() -> ServerTls.of(garbage, one.key()).validate()).hasMessageStartingWith("tls-cert: " + garbage);
    assertThatThrownBy(() -> ServerTls.of(one.cert(), two.key()).validate())
        .hasMessageStartingWith("tls-key: " + two.key() + ": does not match the certificate in " + one.cert());
    assertThatThrownBy(() -> ServerTls.of(one.cert(), garbage).validate())
        .hasMessageStartingWith("tls-key: " + garbage + ": not a private key");
    assertThatThrownBy(() -> ServerTls.of(one.cert(), one.key()).withClientCa(missing).validate())
        .hasMessageStartingWith("tls-client-ca: " + missing + ": no such file");
    ServerTls.of(one.cert(), one.key()).validate();
  }

  private static ProcessingRequest requestHeaders() {
    return ProcessingRequest.newBuilder().setRequestHeaders(io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders
        .newBuilder().setEndOfStream(false)).build();
  }

  private static ChannelCredentials tls(Path trustedCa, TestPki.Files2 client) throws IOException {
    TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder().trustManager(trustedCa.toFile());
    if (client != null) {
      builder.keyManager(client.cert().toFile(), client.key().toFile());
    }
    return builder.build();
  }

  private static ManagedChannel channel(ExtProcServer server, ChannelCredentials credentials) {
    return Grpc.newChannelBuilderForAddress("localhost", server.grpcPort(), credentials).build();
  }

  private static Status.Code health(ExtProcServer server, ChannelCredentials credentials) throws InterruptedException {
    ManagedChannel channel = channel(server, credentials);
    try {
      HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
      return Status.Code.OK;
    } catch (io.grpc.StatusRuntimeException e) {
      return e.getStatus().getCode();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
