package dev.extproc.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.echo.EchoMode;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(60)
class SmallRequestLoopTest {

  @RegisterExtension final EchoExtension echo = new EchoExtension();

  @Test
  void closedLoopOnTwoConnections_verifiesEveryEcho() throws Exception {
    URI base = echo.start(EchoMode.streaming());

    SmallRequestLoop.Result result = new SmallRequestLoop(echo.group()).run(base.resolve("/small"), 2,
        Duration.ofMillis(500), SmallRequestLoop.DEFAULT_BODY_BYTES);

    assertThat(result.firstError()).isNull();
    // Each connection sends at least one request, and the one in flight at the deadline is awaited.
    assertThat(result.completed()).isGreaterThanOrEqualTo(2);
    assertThat(result.failed()).isZero();
    assertThat(result.requestsPerSecond()).isPositive();
    assertThat(result.latencyMicros().getTotalCount()).isEqualTo(result.completed());
  }

  @Test
  void aBackendThatRejects_countsFailures() throws Exception {
    URI base = echo.start(EchoMode.aggregating(100));

    SmallRequestLoop.Result result = new SmallRequestLoop(echo.group()).run(base.resolve("/"), 1,
        Duration.ofMillis(200), SmallRequestLoop.DEFAULT_BODY_BYTES);

    assertThat(result.failed()).isPositive();
    assertThat(result.firstError()).contains("413");
  }
}
