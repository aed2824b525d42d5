package dev.extproc.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransformScenariosTest {
  @TempDir Path media;

  private BenchOptions options(String scenario, long bodyBytes) {
    return new BenchOptions(scenario, Route.DEFAULTS, bodyBytes, List.of(), media, Duration.ofSeconds(1),
        Duration.ofSeconds(10), false, List.of());
  }

  @Test
  void redactBodyHasOneLuhnValidCardPerBlockAndTheExpectedResponseMasksEach() throws Exception {
    long size = 10 * TransformScenarios.CARD_EVERY_BYTES + 100;
    List<ScenarioPlan> plans = Scenarios.plans(options("redact", size));

    assertThat(plans).extracting(ScenarioPlan::key).containsExactly("redact-c2", "redact-passthrough");
    ScenarioPlan redact = plans.get(0);
    assertThat(Files.size(redact.bodyFile())).isEqualTo(size);
    assertThat(redact.bodyFile().getFileName().toString()).endsWith(".txt");
    assertThat(UploadDriver.contentTypeOf(redact.bodyFile())).isEqualTo("text/plain; charset=utf-8");
    String text = Files.readString(redact.bodyFile(), StandardCharsets.US_ASCII);
    Matcher cards = Pattern.compile("card ([0-9 ]{16,19}) today").matcher(text);
    int found = 0;
    while (cards.find()) {
      assertThat(luhn(cards.group(1).replace(" ", ""))).as(cards.group(1)).isTrue();
      found++;
    }
    assertThat(found).isEqualTo(11);
    // every card keeps its last four digits: 12 digits masked per card
    assertThat(redact.expectedExtProc().length()).isEqualTo(size);
    assertThat(redact.expectedExtProc()).isNotEqualTo(redact.expectedBaseline());
    assertThat(plans.get(1).expectedExtProc()).isEqualTo(redact.expectedBaseline());
    assertThat(plans.get(1).processorArgs()).containsExactly("--processor", "passthrough");

    byte[] again = Files.readAllBytes(Scenarios.plans(options("redact", size)).get(0).bodyFile());
    assertThat(again).as("deterministic").isEqualTo(text.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void jsonMaskBodyIsValidJsonOfExactlyTheSizeWithAPasswordPerRecord() throws Exception {
    long size = 50_000;
    ScenarioPlan plan = Scenarios.plans(options("json-mask", size)).get(0);

    assertThat(Files.size(plan.bodyFile())).isEqualTo(size);
    assertThat(UploadDriver.contentTypeOf(plan.bodyFile())).isEqualTo("application/json");
    JsonNode records = new ObjectMapper().readTree(plan.bodyFile().toFile());
    assertThat(records.isArray()).isTrue();
    assertThat(records.size()).isGreaterThan(40);
    records.forEach(r -> assertThat(r.get("password").asText()).startsWith("pw-"));
    // each password value becomes "***": shorter than the body
    assertThat(plan.expectedExtProc().length()).isLessThan(size);
    assertThat(plan.processorArgs()).containsExactly("--processor", "json-mask", "--json-mask-fields", "password");

    assertThatThrownBy(() -> Scenarios.plans(options("json-mask", 100)))
        .hasMessageContaining("body size: 100 (expected: >= 2048 bytes for json-mask");
  }

  @Test
  void generatedCardNumbersAreLuhnValid() {
    Random random = new Random(1);
    for (int i = 0; i < 1000; i++) {
      assertThat(luhn(TransformScenarios.cardNumber(random, false))).isTrue();
    }
  }

  private static boolean luhn(String digits) {
    int sum = 0;
    for (int i = 0; i < digits.length(); i++) {
      int d = digits.charAt(digits.length() - 1 - i) - '0';
      if (i % 2 == 1) {
        d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      }
      sum += d;
    }
    return sum % 10 == 0;
  }
}
