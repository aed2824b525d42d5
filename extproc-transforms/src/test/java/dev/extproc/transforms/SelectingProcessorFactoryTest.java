package dev.extproc.transforms;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.extproc.Direction;
import dev.extproc.ExchangeHandler;
import dev.extproc.HttpHeaders;
import dev.extproc.PassthroughProcessor;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelectingProcessorFactoryTest {
  private final SelectingProcessorFactory factory = new SelectingProcessorFactory(List.of(
      new SelectingProcessorFactory.Rule("cards", SelectingProcessorFactory.pathPrefix("/pay")
          .and(SelectingProcessorFactory.host("shop.example")), RedactProcessorFactory.defaults()),
      new SelectingProcessorFactory.Rule("json", SelectingProcessorFactory.contentType("application/*"),
          new JsonMaskProcessorFactory(JsonMaskRule.parseList("password"), DecodeLimits.DEFAULT))),
      PassthroughProcessor.factory());

  private FakeDirection run(String path, String host, String contentType, String body) {
    ExchangeHandler handler = factory.newProcessor(null);
    FakeDirection ctx = new FakeDirection(Direction.REQUEST);
    assertThat(handler.request().holdsBack()).isTrue();
    ctx.run(handler.request(), HttpHeaders.of(":path", path, ":authority", host, "content-type", contentType),
        List.of(ByteString.copyFromUtf8(body)));
    return ctx;
  }

  @Test
  void theFirstMatchingRuleChoosesTheChainAndTheRestPassesThrough() {
    String body = "{\"password\":\"x\",\"c\":\"4111111111111111\"}";
    FakeDirection cards = run("/pay/now?x=1", "Shop.Example:8443", "application/json", body);
    assertThat(cards.body().toStringUtf8()).isEqualTo("{\"password\":\"x\",\"c\":\"************1111\"}");
    assertThat(cards.metadata).containsEntry("extproc.select/chain", "cards");

    FakeDirection json = run("/pay", "other.example", "application/json", body);
    assertThat(json.body().toStringUtf8()).isEqualTo("{\"password\":\"***\",\"c\":\"4111111111111111\"}");

    FakeDirection none = run("/pay", "other.example", "text/plain", body);
    assertThat(none.body().toStringUtf8()).isEqualTo(body);
    assertThat(none.metadata).containsEntry("extproc.select/chain", "default");
  }
}
