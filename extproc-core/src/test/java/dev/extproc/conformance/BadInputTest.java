package dev.extproc.conformance;

import static dev.extproc.conformance.Wire.body;
import static dev.extproc.conformance.Wire.first;
import static dev.extproc.conformance.Wire.headers;
import static dev.extproc.conformance.Wire.trailers;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.protobuf.ByteString;
import dev.extproc.Direction;
import dev.extproc.ExtProcConfig;
import dev.extproc.PassthroughProcessor;
import dev.extproc.testing.RawResult;
import dev.extproc.testing.RawStream;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

/**
 * A client that breaks the protocol gets its stream failed with a clear status whose description
 * names the rule, a log line names the stream, and a concurrent stream is untouched.
 */
@Timeout(60)
class BadInputTest {
  private final List<String> exchangeIds = new CopyOnWriteArrayList<>();
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger engineLog = (Logger) LoggerFactory.getLogger("dev.extproc.internal.Exchange");
  private Engine engine;

  @BeforeEach
  void start() {
    logs.start();
    engineLog.addAppender(logs);
    ExtProcConfig config = ExtProcConfig.defaults().withMaxBodyMessageBytes(64 * 1024);
    engine = Engine.start(exchange -> {
      exchangeIds.add(exchange.id());
      return PassthroughProcessor.factory().newProcessor(exchange);
    }, config);
  }

  @AfterEach
  void stop() {
    engineLog.detachAppender(logs);
    engine.close();
  }

  /**
   * Runs {@code bad} while another stream is mid-exchange, checks the bad stream's status and log,
   * then finishes the other stream normally.
   */
  private Status failsAloneWith(List<ProcessingRequest> bad, Status.Code code, String rule) {
    try (RawStream good = engine.envoy.openRaw()) {
      good.send(first(headers(Direction.REQUEST, false), BodySendMode.STREAMED));
      assertThat(good.nextReply().hasRequestHeaders()).isTrue();
      long errorsBefore = engine.stats().protocolErrors();

      RawResult result = engine.envoy.sendRaw(bad);

      assertThat(result.status().getCode()).as("status of the bad stream: %s", result.status()).isEqualTo(code);
      assertThat(result.status().getDescription()).contains("rule").containsIgnoringCase(rule);
      assertThat(engine.stats().protocolErrors()).isEqualTo(errorsBefore + 1);
      String badId = exchangeIds.get(exchangeIds.size() - 1);
      assertThat(logs.list).anySatisfy(event -> {
        assertThat(event.getLevel()).isEqualTo(Level.WARN);
        assertThat(event.getFormattedMessage()).contains(badId).containsIgnoringCase(rule);
      });

      good.send(body(Direction.REQUEST, "still fine", true));
      ProcessingResponse bodyReply = good.nextReply();
      assertThat(bodyReply.hasRequestBody()).isTrue();
      good.send(headers(Direction.RESPONSE, true));
      assertThat(good.nextReply().hasResponseHeaders()).isTrue();
      good.halfClose();
      assertThat(good.awaitStatus().getCode()).isEqualTo(Status.Code.OK);
      return result.status();
    }
  }

  /** Messages that complete the request direction, so that a response-direction case can follow. */
  private static List<ProcessingRequest> prefix(Direction direction) {
    List<ProcessingRequest> messages = new ArrayList<>();
    if (direction == Direction.RESPONSE) {
      messages.add(first(headers(Direction.REQUEST, true), BodySendMode.STREAMED));
    }
    return messages;
  }

  private static ProcessingRequest firstOf(Direction direction, ProcessingRequest message) {
    return direction == Direction.REQUEST ? first(message, BodySendMode.STREAMED) : message;
  }

  @ParameterizedTest
  @EnumSource(Direction.class)
  void headersAfterBodyBegan_failedPrecondition(Direction direction) {
    List<ProcessingRequest> bad = prefix(direction);
    bad.add(firstOf(direction, headers(direction, false)));
    bad.add(body(direction, "a", false));
    bad.add(headers(direction, false));
    failsAloneWith(bad, Status.Code.FAILED_PRECONDITION, "headers must come first");
  }

  @ParameterizedTest
  @EnumSource(Direction.class)
  void headersAfterTrailers_failedPrecondition(Direction direction) {
    List<ProcessingRequest> bad = prefix(direction);
    bad.add(firstOf(direction, headers(direction, false)));
    bad.add(trailers(direction));
    bad.add(headers(direction, false));
    failsAloneWith(bad, Status.Code.FAILED_PRECONDITION, "headers must come first");
  }

  @ParameterizedTest
  @EnumSource(Direction.class)
  void secondHeaders_failedPrecondition(Direction direction) {
    List<ProcessingRequest> bad = prefix(direction);
    bad.add(firstOf(direction, headers(direction, false)));
    bad.add(headers(direction, false));
    failsAloneWith(bad, Status.Code.FAILED_PRECONDITION, "one headers message per direction");
  }

  @ParameterizedTest
  @EnumSource(Direction.class)
  void bodyAfterEndOfStream_failedPrecondition(Direction direction) {
    List<ProcessingRequest> bad = prefix(direction);
    bad.add(firstOf(direction, headers(direction, false)));
    bad.add(body(direction, "a", true));
    bad.add(body(direction, "b", false));
    failsAloneWith(bad, Status.Code.FAILED_PRECONDITION, "nothing follows end_of_stream");
  }

  @ParameterizedTest
  @EnumSource(Direction.class)
  void bodyAfterHeadersWithEndOfStream_failedPrecondition(Direction direction) {
    List<ProcessingRequest> bad = prefix(direction);
    bad.add(firstOf(direction, headers(direction, true)));
    bad.add(body(direction, "a", true));
    failsAloneWith(bad, Status.Code.FAILED_PRECONDITION, "nothing follows end_of_stream");
  }

  @ParameterizedTest
  @EnumSource(Direction.class)
  void trailersAfterEndOfStream_failedPrecondition(Direction direction) {
    List<ProcessingRequest> bad = prefix(direction);
    bad.add(firstOf(direction, headers(direction, false)));
    bad.add(body(direction, "a", true));
    bad.add(trailers(direction));
    failsAloneWith(bad, Status.Code.FAILED_PRECONDITION, "nothing follows end_of_stream");
  }

  @ParameterizedTest
  @EnumSource(Direction.class)
  void bodyAfterTrailers_failedPrecondition(Direction direction) {
    List<ProcessingRequest> bad = prefix(direction);
    bad.add(firstOf(direction, headers(direction, false)));
    bad.add(body(direction, "a", false));
    bad.add(trailers(direction));
    bad.add(body(direction, "b", false));
    failsAloneWith(bad, Status.Code.FAILED_PRECONDITION, "nothing follows");
  }

  @ParameterizedTest
  @EnumSource(Direction.class)
  void secondTrailers_failedPrecondition(Direction direction) {
    List<ProcessingRequest> bad = prefix(direction);
    bad.add(firstOf(direction, headers(direction, false)));
    bad.add(trailers(direction));
    bad.add(trailers(direction));
    failsAloneWith(bad, Status.Code.FAILED_PRECONDITION, "one trailers message per direction");
  }

  @Test
  void messageWithNoOneofSet_invalidArgument() {
    failsAloneWith(List.of(ProcessingRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT, "exactly one");
  }

  @Test
  void emptyOneofMidStream_invalidArgument() {
    failsAloneWith(List.of(first(headers(Direction.REQUEST, false), BodySendMode.STREAMED),
        ProcessingRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT, "exactly one");
  }

  @Test
  void oversizedMessage_overMaxInboundMessageBytes_refused() {
    int limit = engine.config().maxInboundMessageBytes();
    ByteString huge = ByteString.copyFrom(new byte[limit + 1]);
    try (RawStream good = engine.envoy.openRaw()) {
      good.send(first(headers(Direction.REQUEST, false), BodySendMode.STREAMED));
      assertThat(good.nextReply().hasRequestHeaders()).isTrue();

      RawResult result = engine.envoy.sendRaw(List.of(
          first(headers(Direction.REQUEST, false), BodySendMode.STREAMED), body(Direction.REQUEST, huge, true)));

      // gRPC's own limit answers RESOURCE_EXHAUSTED on real transports; the engine uses the same code.
      assertThat(result.status().getCode()).as(result.status().toString()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(result.status().getDescription()).contains("rule").contains(Integer.toString(limit));
      good.send(body(Direction.REQUEST, "still fine", true));
      assertThat(good.nextReply().hasRequestBody()).isTrue();
    }
  }

  @ParameterizedTest
  @EnumSource(Direction.class)
  void bodyFirstWithHeaderModeSkip_isLegal(Direction direction) {
    List<ProcessingRequest> messages = prefix(direction);
    messages.add(firstOf(direction, body(direction, "abc", false)));
    messages.add(body(direction, "", true));
    RawResult result = engine.envoy.sendRaw(messages);

    assertThat(result.status().getCode()).as(result.status().toString()).isEqualTo(Status.Code.OK);
    assertThat(result.replies()).filteredOn(r -> r.hasRequestBody() || r.hasResponseBody()).hasSize(2);
  }
}
