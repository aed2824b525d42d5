package dev.extproc.app.replicas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.stack.EnvoyTuning;
import dev.extproc.stack.LocalStack;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A replica that answers its health checks but never answers a side stream (its processor waits an
 * hour per message), next to a healthy one. Envoy's message timeout bounds each exchange sent to it
 * (a 504 after the timeout); the healthy replica's exchanges are unaffected. What Envoy does not do
 * is eject the hung replica: the outlier detector never hears of ext_proc message timeouts, so it
 * keeps its share of new exchanges as long as its health check passes (docs/scale-out.md,
 * "A replica that hangs"). This test pins that behaviour, so that the docs change if Envoy does.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HungReplicaE2eTest {

  /** Short, so that the test is quick; long enough that the healthy replica never hits it on a busy machine. */
  static final Duration MESSAGE_TIMEOUT = Duration.ofSeconds(2);
  static final int EXCHANGES = 12;

  private LocalStack stack;
  private ReplicaCluster cluster;

  @BeforeAll
  void startStack() {
    stack = LocalStack.builder()
        .replicas(2)
        .replicaServerArgs(1, List.of("--processor", "delay", "--delay", "3600s"))
        .tuning(EnvoyTuning.defaults().toBuilder().messageTimeout(MESSAGE_TIMEOUT).build())
        .serverJvmOptions(List.of("-Xmx96m"))
        .echoJvmOptions(List.of("-Xmx128m"))
        .envoyLogLevel("warning")
        .build();
    cluster = new ReplicaCluster(stack);
    cluster.awaitAllHealthyInEnvoy();
  }

  @AfterAll
  void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void aHungReplicaCostsEachOfItsExchangesOneMessageTimeoutAndIsNotEjected() {
    // The healthy replica's first exchange loads and compiles the processing path; on a busy machine
    // that once took longer than the timeout. Warm it up (one intact exchange) before measuring.
    org.awaitility.Awaitility.await("an intact exchange on the healthy replica").atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> Exchange.post(cluster.streamed(), ReplicaFaultsE2eTest.SMALL).ok());
    List<Long> before = cluster.startedAll();

    List<Exchange> done = cluster.run(EXCHANGES, 1, ReplicaFaultsE2eTest.SMALL);

    List<Long> perReplica = List.of(cluster.started(0) - before.get(0), cluster.started(1) - before.get(1));
    List<Exchange> timedOut = done.stream().filter(e -> e.status() == 504).toList();
    long ejections = stack.envoyAdmin().stat("cluster.ext_proc.outlier_detection.ejections_enforced_total");
    System.out.println("scale-out: hung replica, message_timeout " + MESSAGE_TIMEOUT.toMillis() + " ms: " + EXCHANGES
        + " exchanges one by one, per replica " + perReplica + ", intact " + done.stream().filter(Exchange::ok).count()
        + ", 504 " + timedOut.size() + " (slowest " + timedOut.stream().map(Exchange::elapsed).max(Duration::compareTo)
            .orElse(Duration.ZERO).toMillis() + " ms); outlier ejections " + ejections + "; hung replica in Envoy: "
        + cluster.healthFlags(1));
    assertThat(done).as("every exchange either echoed intact or timed out with a 504")
        .allMatch(e -> e.ok() || e.status() == 504);
    assertThat((long) timedOut.size()).as("504s = exchanges sent to the hung replica").isEqualTo(perReplica.get(1));
    assertThat(done.stream().filter(Exchange::ok).count()).as("intact = exchanges on the healthy replica").isEqualTo(perReplica.get(0));
    assertThat(perReplica.get(1)).as("the hung replica still gets its share").isGreaterThanOrEqualTo(EXCHANGES / 4);
    // Envoy's timer may fire a few ms before the client's clock has seen the full timeout.
    assertThat(timedOut).as("times to the 504s: %s", timedOut.stream().map(Exchange::elapsed).toList())
        .allMatch(e -> e.elapsed().compareTo(MESSAGE_TIMEOUT.minusMillis(100)) >= 0
            && e.elapsed().compareTo(MESSAGE_TIMEOUT.plusSeconds(2)) < 0, "each 504 at the message timeout, within 2 s");
    assertThat(ejections).as("Envoy's outlier detector does not see ext_proc message timeouts").isZero();
    assertThat(cluster.healthyInEnvoy(1)).as("the hung replica passes its health checks").isTrue();
  }
}
