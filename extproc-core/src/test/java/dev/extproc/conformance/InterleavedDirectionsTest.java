package dev.extproc.conformance;

import static dev.extproc.conformance.Wire.body;
import static dev.extproc.conformance.Wire.first;
import static dev.extproc.conformance.Wire.headers;
import static dev.extproc.conformance.Wire.trailers;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.extproc.Direction;
import dev.extproc.testing.RawStream;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The upstream may answer before the request body is over, so Envoy interleaves the response
 * direction with the request direction on one stream (docs/protocol.md §2.1). FakeEnvoy runs directions
 * one after the other, so this is driven with raw messages.
 */
@Timeout(60)
class InterleavedDirectionsTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource({"STREAMED", "BUFFERED"})
  void responseHeadersAndBodyWhileRequestBodyIsStillStreaming(BodySendMode mode) {
    try (Engine engine = Engine.start(exchange -> new TestProcessors.XorProcessor());
        RawStream raw = engine.envoy.openRaw()) {
      raw.send(first(headers(Direction.REQUEST, false), mode));
      assertThat(raw.nextReply().hasRequestHeaders()).isTrue();
      if (mode == BodySendMode.STREAMED) {
        raw.send(body(Direction.REQUEST, "req-1", false));
        assertThat(raw.nextReply().getRequestBody().getResponse().getBodyMutation().getBody())
            .isEqualTo(TestProcessors.xor(ByteString.copyFromUtf8("req-1")));
      }
      raw.send(headers(Direction.RESPONSE, false));
      assertThat(raw.nextReply().hasResponseHeaders()).isTrue();
      raw.send(body(Direction.RESPONSE, "resp", true));
      ProcessingResponse responseBody = raw.nextReply();
      assertThat(responseBody.getResponseBody().getResponse().getBodyMutation().getBody())
          .isEqualTo(TestProcessors.xor(ByteString.copyFromUtf8("resp")));
      raw.send(body(Direction.REQUEST, "req-2", true));
      assertThat(raw.nextReply().getRequestBody().getResponse().getBodyMutation().getBody())
          .isEqualTo(TestProcessors.xor(ByteString.copyFromUtf8("req-2")));
      raw.halfClose();
      assertThat(raw.awaitStatus().getCode()).isEqualTo(Status.Code.OK);
    }
  }

  @ParameterizedTest(name = "trailers {0}")
  @CsvSource({"false", "true"})
  void fullDuplexBothDirectionsInterleaved(boolean withTrailers) {
    try (Engine engine = Engine.start(exchange -> new TestProcessors.XorProcessor());
        RawStream raw = engine.envoy.openRaw()) {
      raw.send(first(headers(Direction.REQUEST, false), BodySendMode.FULL_DUPLEX_STREAMED));
      raw.send(body(Direction.REQUEST, "a", false));
      raw.send(headers(Direction.RESPONSE, false));
      raw.send(body(Direction.RESPONSE, "b", !withTrailers));
      raw.send(body(Direction.REQUEST, "c", !withTrailers));
      if (withTrailers) {
        raw.send(trailers(Direction.RESPONSE));
        raw.send(trailers(Direction.REQUEST));
      }
      ByteString request = ByteString.EMPTY;
      ByteString response = ByteString.EMPTY;
      boolean requestDone = false;
      boolean responseDone = false;
      int headerReplies = 0;
      while (!requestDone || !responseDone) {
        ProcessingResponse reply = raw.nextReply();
        switch (reply.getResponseCase()) {
          case REQUEST_HEADERS, RESPONSE_HEADERS -> headerReplies++;
          case REQUEST_BODY -> {
            var streamed = reply.getRequestBody().getResponse().getBodyMutation().getStreamedResponse();
            request = request.concat(streamed.getBody());
            requestDone |= streamed.getEndOfStream();
          }
          case RESPONSE_BODY -> {
            var streamed = reply.getResponseBody().getResponse().getBodyMutation().getStreamedResponse();
            response = response.concat(streamed.getBody());
            responseDone |= streamed.getEndOfStream();
          }
          case REQUEST_TRAILERS -> requestDone = true;
          case RESPONSE_TRAILERS -> responseDone = true;
          default -> throw new AssertionError("unexpected reply " + reply);
        }
      }
      assertThat(headerReplies).isEqualTo(2);
      assertThat(request).isEqualTo(TestProcessors.xor(ByteString.copyFromUtf8("ac")));
      assertThat(response).isEqualTo(TestProcessors.xor(ByteString.copyFromUtf8("b")));
      raw.halfClose();
      assertThat(raw.awaitStatus().getCode()).isEqualTo(Status.Code.OK);
      assertThat(raw.replies()).isNotEmpty();
    }
  }
}
