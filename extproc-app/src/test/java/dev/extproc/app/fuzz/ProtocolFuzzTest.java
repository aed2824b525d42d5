package dev.extproc.app.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The protocol fuzzer in CI: a few thousand random and adversarial raw-bytes streams (10% over
 * Netty on loopback) beside well-behaved exchanges; afterwards no stream, byte or file is left,
 * every handler was closed exactly once, and every stream got a status from {@link
 * FuzzReport#DOCUMENTED}. The seed is printed; rerun one with {@code -Dextproc.fuzz.seed=S}
 * ({@code -Dextproc.fuzz.streams=N} for more).
 */
class ProtocolFuzzTest {
  private static FuzzReport run(Set<FuzzCase.Kind> kinds) throws Exception {
    String property = System.getProperty("extproc.fuzz.seed");
    long seed = property == null || property.isBlank() ? new SecureRandom().nextLong() : Long.parseLong(property.trim());
    long streams = Long.getLong("extproc.fuzz.streams", 3000);
    System.out.println("ProtocolFuzzTest: seed " + seed + " (rerun: -Dextproc.fuzz.seed=" + seed + "), kinds " + kinds);
    FuzzReport report = new ProtocolFuzzer(seed, streams, 16, 0.1, kinds).run();
    System.out.println(report);
    return report;
  }

  @Test
  @Timeout(180)
  void everyKind_everyStreamAnsweredWithADocumentedStatus_nothingLeft_wellBehavedExchangesByteExact() throws Exception {
    FuzzReport report = run(ProtocolFuzzer.ALL_KINDS);

    assertThat(report.ok()).as("%s", report).isTrue();
  }
}
