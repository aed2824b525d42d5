package dev.extproc.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import dev.extproc.testing.FakeEnvoy;
import dev.extproc.testkit.ExtProcExtension;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import java.util.Random;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SseEventCounterTest {
  @RegisterExtension final ExtProcExtension extproc = new ExtProcExtension();

  @ParameterizedTest
  @EnumSource(value = BodySendMode.class, names = {"STREAMED", "FULL_DUPLEX_STREAMED", "BUFFERED"})
  void countsEventsSplitAcrossChunksAndPassesTheBodyThrough(BodySendMode mode) {
    FakeEnvoy envoy = extproc.fakeEnvoy(exchange -> ExchangeHandler.of(new DirectionProcessor() {}, new SseEventCounter()));
    Random random = new Random(7L + mode.ordinal());
    for (int run = 0; run < 30; run++) {
      StringBuilder stream = new StringBuilder();
      int events = random.nextInt(20);
      for (int i = 0; i < events; i++) {
        stream.append("data: {\"token\":").append(i).append("}\n").append(random.nextBoolean() ? "id: " + i + "\n" : "").append('\n');
      }
      String body = stream.toString();
      ExchangeResult result = envoy.run(Exchange.builder()
          .responseBodyMode(mode)
          .responseBody(BodySource.of(body))
          .chunkSizes(1 + random.nextInt(10), 1 + random.nextInt(30))
          .build());

      assertThat(result.client().body().utf8()).isEqualTo(body);
      assertThat(eventsReported(result)).as("run %d of %s", run, mode).isEqualTo(events);
    }
  }

  private static double eventsReported(ExchangeResult result) {
    return result.dynamicMetadata().stream()
        .map(metadata -> metadata.getFieldsOrDefault(SseEventCounter.NAMESPACE, Value.getDefaultInstance()))
        .filter(Value::hasStructValue)
        .map(Value::getStructValue)
        .map(Struct::getFieldsMap)
        .filter(fields -> fields.containsKey("events"))
        .mapToDouble(fields -> fields.get("events").getNumberValue())
        .reduce((first, second) -> second)
        .orElseThrow(() -> new AssertionError("no extproc.sse/events metadata in " + result.dynamicMetadata()));
  }
}
