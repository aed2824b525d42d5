package dev.extproc.transforms;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ExchangeHandler;
import dev.extproc.HttpHeaders;
import dev.extproc.PassthroughProcessor;
import dev.extproc.testkit.RecordingDirectionContext;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelectingProcessorFactoryTest {
  private final SelectingProcessorFactory factory = new SelectingProcessorFactory(List.of(
      new SelectingProcessorFactory.Rule("cards", SelectingProcessorFactory.pathPrefix("/pay")
          .and(SelectingProcessorFactory.host("shop.example")), RedactProcessorFactory.defaults()),
      new SelectingProcessorFactory.Rule("json", SelectingProcessorFactory.contentType("application/*"),
          new JsonMaskProcessorFactory(JsonMaskRule.parseList("password"), DecodeLimits.DEFAULT))),
      PassthroughProcessor.factory());

  private RecordingDirectionContext run(String path, String host, String contentType, String body) {
    ExchangeHandler handler = factory.newProcessor(null);
    RecordingDirectionContext ctx = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
    assertThat(handler.request().holdsBack()).isTrue();
    ctx.drive(handler.request(), HttpHeaders.of(":path", path, ":authority", host, "content-type", contentType),
        List.of(ByteString.copyFromUtf8(body)));
    return ctx;
  }

  @Test
  void theFirstMatchingRuleChoosesTheChainAndTheRestPassesThrough() {
    String body = "{\"password\":\"x\",\"c\":\"4111111111111111\"}";
    RecordingDirectionContext cards = run("/pay/now?x=1", "Shop.Example:8443", "application/json", body);
    assertThat(cards.output().toStringUtf8()).isEqualTo("{\"password\":\"x\",\"c\":\"************1111\"}");
    assertThat(cards.metadata("extproc.select")).containsEntry("chain", "cards");

    RecordingDirectionContext json = run("/pay", "other.example", "application/json", body);
    assertThat(json.output().toStringUtf8()).isEqualTo("{\"password\":\"***\",\"c\":\"4111111111111111\"}");

    RecordingDirectionContext none = run("/pay", "other.example", "text/plain", body);
    assertThat(none.output().toStringUtf8()).isEqualTo(body);
    assertThat(none.metadata("extproc.select")).containsEntry("chain", "default");
  }
}
