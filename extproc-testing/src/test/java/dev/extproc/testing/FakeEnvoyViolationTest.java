package dev.extproc.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each rule FakeEnvoy enforces, proved with a deliberately wrong scripted server. */
@Timeout(60)
class FakeEnvoyViolationTest {

  private static ProcessingResponse streamed(String body, boolean endOfStream) {
    return ProcessingResponse.newBuilder().setRequestBody(BodyResponse.newBuilder().setResponse(
        CommonResponse.newBuilder().setBodyMutation(BodyMutation.newBuilder().setStreamedResponse(
            StreamedBodyResponse.newBuilder().setBody(ByteString.copyFromUtf8(body)).setEndOfStream(endOfStream)))))
        .build();
  }

  private static Exchange.Builder fullDuplex() {
    return Exchange.builder().requestBodyMode(BodySendMode.FULL_DUPLEX_STREAMED).trailerMode(HeaderSendMode.SEND)
        .requestBody(BodySource.of("abc"));
  }

  private static void assertViolation(ScriptedServer server, Exchange exchange, String rule) {
    try (FakeEnvoy envoy = FakeEnvoy.forService(server)) {
      assertThatThrownBy(() -> envoy.run(exchange))
          .isInstanceOf(ProtocolViolation.class)
          .hasMessageContaining("[" + rule + "]")
          .satisfies(e -> assertThat(((ProtocolViolation) e).rule()).isEqualTo(rule));
    }
  }

  @Test
  void replyForTheOtherDirection_isReplyType() {
    assertViolation(ScriptedServer.scripted((request, correct, stream) -> request.hasRequestHeaders()
            ? List.of(ProcessingResponse.newBuilder().setResponseHeaders(HeadersResponse.getDefaultInstance()).build())
            : correct),
        Exchange.builder().build(), "reply-type");
  }

  @Test
  void replyWithNoResponseSet_isEmptyReply() {
    assertViolation(ScriptedServer.scripted((request, correct, stream) -> List.of(ProcessingResponse.getDefaultInstance())),
        Exchange.builder().build(), "empty-reply");
  }

  @Test
  void replyAfterImmediateResponse_isCaught() {
    ProcessingResponse immediate = ProcessingResponse.newBuilder().setImmediateResponse(ImmediateResponse.newBuilder()
        .setStatus(HttpStatus.newBuilder().setCodeValue(403))).build();
    assertViolation(ScriptedServer.scripted((request, correct, stream) -> List.of(immediate, correct.get(0))),
        Exchange.builder().closeMode(CloseMode.GRACEFUL).build(), "reply-after-immediate-response");
  }

  @Test
  void fullDuplexBodyBeforeAnyChunk_isCaught() {
    assertViolation(ScriptedServer.scripted((request, correct, stream) -> request.hasRequestHeaders()
            ? List.of(correct.get(0), streamed("x", false)) : List.of()),
        fullDuplex().requestBody(BodySource.none()).requestTrailers(Headers.of("x-t", "1"))
            .closeMode(CloseMode.GRACEFUL).build(),
        "fds-body-before-chunk");
  }

  @Test
  void fullDuplexClearBody_needsStreamedResponse() {
    ProcessingResponse clear = ProcessingResponse.newBuilder().setRequestBody(BodyResponse.newBuilder().setResponse(
        CommonResponse.newBuilder().setBodyMutation(BodyMutation.newBuilder().setClearBody(true)))).build();
    assertViolation(ScriptedServer.scripted((request, correct, stream) -> request.hasRequestBody() ? List.of(clear) : correct),
        fullDuplex().build(), "fds-needs-streamed-response");
  }

  @Test
  void fullDuplexEndOfStreamWhileTrailersWereSent_isCaught() {
    // The end of stream is sent in answer to the trailers message, so Envoy has surely sent them.
    assertViolation(ScriptedServer.scripted((request, correct, stream) -> request.hasRequestBody()
            ? List.of() : request.hasRequestTrailers() ? List.of(streamed("abc", true)) : correct),
        fullDuplex().requestTrailers(Headers.of("x-t", "1")).build(), "fds-eos-with-trailers");
  }

  @Test
  void fullDuplexTrailersReplyWithoutTrailers_isCaught() {
    ProcessingResponse trailers = ProcessingResponse.newBuilder().setRequestTrailers(TrailersResponse.getDefaultInstance()).build();
    assertViolation(ScriptedServer.scripted((request, correct, stream) -> request.hasRequestBody() ? List.of(trailers) : correct),
        fullDuplex().build(), "fds-trailers-without-trailers");
  }

  @Test
  void fullDuplexStreamedChunkAfterEnd_isExtraReply() {
    assertViolation(ScriptedServer.scripted((request, correct, stream) -> request.hasRequestBody()
            && request.getRequestBody().getEndOfStream()
            ? List.of(streamed("", true), streamed("more", false)) : request.hasRequestBody() ? List.of() : correct),
        fullDuplex().closeMode(CloseMode.GRACEFUL).build(), "extra-reply");
  }

  @Test
  void continueAndReplaceWithStreamedResponse_isCaught() {
    ProcessingResponse replace = ProcessingResponse.newBuilder().setRequestHeaders(HeadersResponse.newBuilder()
        .setResponse(CommonResponse.newBuilder().setStatus(CommonResponse.ResponseStatus.CONTINUE_AND_REPLACE)
            .setBodyMutation(BodyMutation.newBuilder().setStreamedResponse(StreamedBodyResponse.getDefaultInstance()))))
        .build();
    assertViolation(ScriptedServer.scripted((request, correct, stream) -> request.hasRequestHeaders() ? List.of(replace) : correct),
        Exchange.builder().build(), "continue-and-replace");
  }

  @Test
  void serverClosingOkAfterHeaders_bodyPassesThroughUnmodified() {
    ScriptedServer server = new ScriptedServer(ScriptedServer::upperCase, (request, correct, stream) -> {
      if (request.hasRequestHeaders()) {
        stream.out.onNext(correct.get(0));
        stream.out.onCompleted();
      }
      return List.of();
    });
    try (FakeEnvoy envoy = FakeEnvoy.forService(server)) {
      ExchangeResult result = envoy.run(Exchange.builder().bodyMode(BodySendMode.STREAMED)
          .requestBody(BodySource.of("body")).responseBody(BodySource.of("answer")).build());

      assertThat(result.upstream().body().utf8()).isEqualTo("body");
      assertThat(result.client().body().utf8()).isEqualTo("answer");
      assertThat(result.grpcStatus().isOk()).isTrue();
    }
  }

  @Test
  void bufferedResponseOverLimit_is500() {
    try (FakeEnvoy envoy = FakeEnvoy.forService(ScriptedServer.correct())) {
      ExchangeResult result = envoy.run(Exchange.builder().responseBodyMode(BodySendMode.BUFFERED)
          .responseBody(BodySource.random(3000, 1)).bufferLimit(1000).build());

      assertThat(result.status()).isEqualTo(500);
      assertThat(result.localReplyDetails()).contains("response_payload_too_large");
    }
  }

  @Test
  void silentServer_timesOutWithAClearMessage() {
    try (FakeEnvoy envoy = FakeEnvoy.forService(ScriptedServer.scripted((request, correct, stream) -> List.of()))
        .timeout(Duration.ofMillis(200))) {
      assertThatThrownBy(() -> envoy.run(Exchange.builder().build()))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("the reply to request_headers");
    }
  }

  @Test
  void concurrentRuns_useIndependentStreams() throws Exception {
    try (FakeEnvoy envoy = FakeEnvoy.forService(ScriptedServer.transforming(ScriptedServer::upperCase))) {
      List<Thread> threads = new ArrayList<>();
      List<String> bodies = java.util.Collections.synchronizedList(new ArrayList<>());
      for (int i = 0; i < 4; i++) {
        String text = "body number " + i;
        Thread thread = new Thread(() -> bodies.add(envoy.run(Exchange.builder().bodyMode(BodySendMode.STREAMED)
            .requestBody(BodySource.of(text)).chunkSize(3).build()).upstream().body().utf8()));
        threads.add(thread);
        thread.start();
      }
      for (Thread thread : threads) {
        thread.join(10_000);
      }
      assertThat(bodies).containsExactlyInAnyOrder("BODY NUMBER 0", "BODY NUMBER 1", "BODY NUMBER 2", "BODY NUMBER 3");
    }
  }

  @Test
  void messageTimeout_noReply_is504_orContinuesWithFailureModeAllow() {
    ScriptedServer silentOnBody = ScriptedServer.scripted((request, correct, stream) ->
        request.hasRequestBody() ? List.of() : correct);
    try (FakeEnvoy envoy = FakeEnvoy.forService(silentOnBody)) {
      Exchange.Builder exchange = Exchange.builder().requestBodyMode(BodySendMode.STREAMED)
          .requestBody(BodySource.of("body")).messageTimeout(Duration.ofMillis(100));

      ExchangeResult closed = envoy.run(exchange.build());
      ExchangeResult open = envoy.run(exchange.failureModeAllow(true).build());

      assertThat(closed.status()).isEqualTo(504);
      assertThat(closed.localReplyDetails()).contains("ext_proc_error_per-message_timeout_exceeded");
      assertThat(open.status()).isEqualTo(200);
      assertThat(open.upstream().body().utf8()).isEqualTo("body");
    }
  }

  @Test
  void streamedBodyCompleteBeforeHeaderReply_isAnsweredBufferedLike_headerMutationApplies() {
    ScriptedServer server = ScriptedServer.scripted((request, correct, stream) -> request.hasRequestBody()
        ? List.of(ProcessingResponse.newBuilder().setRequestBody(BodyResponse.newBuilder().setResponse(
            CommonResponse.newBuilder().setHeaderMutation(ScriptedServer.setHeader("x-from-body", "1")))).build())
        : correct);
    try (FakeEnvoy envoy = FakeEnvoy.forService(server)) {
      Exchange.Builder exchange = Exchange.builder().requestBodyMode(BodySendMode.STREAMED)
          .requestBody(BodySource.of("small body")).chunkSize(3);

      ExchangeResult held = envoy.run(exchange.heldBeforeHeaderReply(Long.MAX_VALUE).build());
      ExchangeResult streamed = envoy.run(exchange.heldBeforeHeaderReply(0).build());

      assertThat(held.sent()).filteredOn(m -> m.hasRequestBody()).hasSize(1);
      assertThat(held.upstream().headers().get("x-from-body")).isEqualTo("1");
      assertThat(held.upstream().body().utf8()).isEqualTo("small body");
      assertThat(streamed.upstream().headers().contains("x-from-body")).isFalse();
      assertThat(streamed.notes()).anyMatch(n -> n.contains("header_mutation in a STREAMED body reply is ignored"));
    }
  }
}
