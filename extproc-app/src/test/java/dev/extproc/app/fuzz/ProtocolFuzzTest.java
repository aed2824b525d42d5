package dev.extproc.app.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The protocol fuzzer in CI: a few thousand random and adversarial raw-bytes streams (10% over
 * Netty on loopback) beside well-behaved exchanges; afterwards no stream, byte or file is left,
 * every handler was closed exactly once, and every stream got a status from {@link
 * FuzzReport#DOCUMENTED}. The seed is printed; rerun one with {@code -Dextproc.fuzz.seed=S}
 * ({@code -Dextproc.fuzz.streams=N} for more).
 *
 * <p>The kinds that make today's engine leak or answer outside the documented set (an unparseable
 * message; an unknown enum value) run in the {@code needs-engine-fix} test, excluded by default
 * until the engine fixes land (issue #9); run it with {@code -Dextproc.excludedGroups=none}.
 */
class ProtocolFuzzTest {
  /**
  /** The kinds today's engine handles: every frame parses and every enum value exists. */
  static final Set<FuzzCase.Kind> PARSEABLE =
      EnumSet.of(
          FuzzCase.Kind.PLAUSIBLE, FuzzCase.Kind.SHUFFLED, FuzzCase.Kind.UNKNOWN_FIELDS, FuzzCase.Kind.OVERSIZE,
          FuzzCase.Kind.EMPTY);

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
  void parseableInput_everyStreamAnsweredWithADocumentedStatus_nothingLeft_wellBehavedExchangesByteExact() throws Exception {
    FuzzReport report = run(PARSEABLE);

    assertThat(report.ok()).as("%s", report).isTrue();
  }

  @Test
  @Tag("needs-engine-fix")
  @Timeout(180)
  void everyKind_unparseableAndUnknownEnumsIncluded_nothingLeft() throws Exception {
    FuzzReport report = run(ProtocolFuzzer.ALL_KINDS);

    assertThat(report.ok()).as("%s", report).isTrue();
  }
}
