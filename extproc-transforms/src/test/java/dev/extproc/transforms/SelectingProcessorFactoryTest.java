package dev.extproc.transforms;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExchangeInfo;
import dev.extproc.HttpHeaders;
import dev.extproc.PassthroughProcessor;
import dev.extproc.testkit.RecordingDirectionContext;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
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

  /** What Envoy sent with the first message: attributes and forwarded metadata. */
  private record Sent(Map<String, Struct> attributes, Metadata metadataContext) implements ExchangeInfo {
    static Sent route(String name) {
      return new Sent(Map.of(SelectingProcessorFactory.ATTRIBUTES_KEY, Struct.newBuilder()
          .putFields("xds.route_name", Value.newBuilder().setStringValue(name).build()).build()),
          Metadata.getDefaultInstance());
    }

    static Sent metadata(String namespace, String key, String value) {
      return new Sent(Map.of(), Metadata.newBuilder().putFilterMetadata(namespace, Struct.newBuilder()
          .putFields(key, Value.newBuilder().setStringValue(value).build()).build()).build());
    }

    @Override public String id() { return "x"; }
    @Override public Instant startTime() { return Instant.EPOCH; }
    @Override public BodyMode initialBodyMode(Direction direction) { return BodyMode.STREAMED; }
    @Override public ScheduledExecutorService scheduler() { throw new UnsupportedOperationException(); }
  }

  @Test
  void routeNameAndForwardedMetadataChooseTheChain() {
    SelectingProcessorFactory byRoute = new SelectingProcessorFactory(List.of(
        new SelectingProcessorFactory.Rule("payments", SelectingProcessorFactory.route("payments"),
            RedactProcessorFactory.defaults()),
        new SelectingProcessorFactory.Rule("meta", SelectingProcessorFactory.metadata("policy", "chain", "mask"),
            new JsonMaskProcessorFactory(JsonMaskRule.parseList("password"), DecodeLimits.DEFAULT))),
        PassthroughProcessor.factory());
    String body = "{\"password\":\"x\",\"c\":\"4111111111111111\"}";
    HttpHeaders headers = HttpHeaders.of(":path", "/any", "content-type", "application/json");

    assertThat(drive(byRoute, Sent.route("payments"), headers, body).output().toStringUtf8())
        .isEqualTo("{\"password\":\"x\",\"c\":\"************1111\"}");
    assertThat(drive(byRoute, Sent.metadata("policy", "chain", "mask"), headers, body).output().toStringUtf8())
        .isEqualTo("{\"password\":\"***\",\"c\":\"4111111111111111\"}");
    RecordingDirectionContext other = drive(byRoute, Sent.route("other"), headers, body);
    assertThat(other.output().toStringUtf8()).isEqualTo(body);
    assertThat(other.metadata("extproc.select")).containsEntry("chain", "default");
    assertThat(drive(byRoute, new Sent(Map.of(), Metadata.getDefaultInstance()), headers, body).output().toStringUtf8())
        .as("no attributes (request_attributes not configured): no route rule matches").isEqualTo(body);
  }

  private static RecordingDirectionContext drive(SelectingProcessorFactory f, ExchangeInfo exchange, HttpHeaders headers,
      String body) {
    ExchangeHandler handler = f.newProcessor(exchange);
    RecordingDirectionContext ctx = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
    ctx.drive(handler.request(), headers, List.of(ByteString.copyFromUtf8(body)));
    return ctx;
  }
}
