package dev.extproc.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.grpc.Status;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class FakeEnvoyTest {

  private static Exchange.Builder post(BodySendMode mode, String body) {
    return Exchange.builder().bodyMode(mode).requestBody(BodySource.of(body));
  }

  @Test
  void streamedBody_eachChunkAnsweredInOrder_upstreamGetsMutatedChunksAndEmptyLastChunk() {
    try (FakeEnvoy envoy = FakeEnvoy.forService(ScriptedServer.transforming(ScriptedServer::upperCase))) {
      ExchangeResult result = envoy.run(post(BodySendMode.STREAMED, "hello world").chunkSize(4).build());

      assertThat(result.upstream().body().utf8()).isEqualTo("HELLO WORLD");
      assertThat(result.upstream().headers().get("x-scripted")).isEqualTo("request");
      assertThat(result.upstream().headers().contains("content-length")).as("removed in STREAMED").isFalse();
      // headers, 3 chunks, empty last chunk (HTTP/1), response headers
      assertThat(result.messagesSent()).isEqualTo(6);
      assertThat(result.sent().get(4).getRequestBody().getBody().isEmpty()).isTrue();
      assertThat(result.sent().get(4).getRequestBody().getEndOfStream()).isTrue();
      assertThat(result.sent().get(0).hasProtocolConfig()).isTrue();
      assertThat(result.sent().get(1).hasProtocolConfig()).isFalse();
      assertThat(result.status()).isEqualTo(200);
      assertThat(result.client().headers().get("x-scripted")).isEqualTo("response");
    }
  }

  @Test
  void http2Framing_lastChunkCarriesEndOfStream() {
    try (FakeEnvoy envoy = FakeEnvoy.forService(ScriptedServer.correct())) {
      ExchangeResult result = envoy.run(post(BodySendMode.STREAMED, "abcdefgh").chunkSize(4).framing(Framing.HTTP2).build());

      assertThat(result.messagesSent()).isEqualTo(4); // headers, 2 chunks, response headers
      assertThat(result.sent().get(2).getRequestBody().getEndOfStream()).isTrue();
      assertThat(result.upstream().body().utf8()).isEqualTo("abcdefgh");
    }
  }

  @Test
  void trailers_endTheMessage_noBodyMessageHasEndOfStream() {
    try (FakeEnvoy envoy = FakeEnvoy.forService(ScriptedServer.correct())) {
      ExchangeResult result = envoy.run(post(BodySendMode.STREAMED, "abcdefgh").chunkSize(4)
          .trailerMode(HeaderSendMode.SEND).requestTrailers(Headers.of("grpc-status", "0")).build());

      assertThat(result.sent()).filteredOn(ProcessingRequest::hasRequestBody)
          .allSatisfy(m -> assertThat(m.getRequestBody().getEndOfStream()).isFalse()).hasSize(2);
      assertThat(result.sent().get(3).hasRequestTrailers()).isTrue();
      assertThat(result.upstream().trailers().get("x-trailer-seen")).isEqualTo("request");
    }
  }

  @Test
  void fullDuplex_largeBody_streamsBackByteExact() {
    BodySource body = BodySource.random(1024 * 1024 + 1, 7);
    try (FakeEnvoy envoy = FakeEnvoy.forService(ScriptedServer.correct())) {
      ExchangeResult result = envoy.run(Exchange.builder().bodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
          .trailerMode(HeaderSendMode.SEND).requestBody(body).echoRequestBody().build());

      assertThat(result.upstream().body().digest()).isEqualTo(body.digest());
      assertThat(result.client().body().digest()).isEqualTo(body.digest());
      assertThat(result.logComplete()).isFalse();
    }
  }

  @Test
  void streamed64MiB_unansweredBytesStayUnderBufferLimitPlusOneChunk() {
    BodySource body = BodySource.random(64L * 1024 * 1024, 1);
    try (FakeEnvoy envoy = FakeEnvoy.forService(ScriptedServer.correct())) {
      ExchangeResult result = envoy.run(Exchange.builder().requestBodyMode(BodySendMode.STREAMED)
          .requestBody(body).chunkSize(64 * 1024).build());

      assertThat(result.upstream().body().digest()).isEqualTo(body.digest());
      assertThat(result.maxOutstandingRequestBytes()).isLessThanOrEqualTo(1024 * 1024 + 64 * 1024);
    }
  }

  @Test
  void buffered_oneBodyMessage_headerMutationInBodyReplyApplies() {
    ScriptedServer server = ScriptedServer.scripted((request, correct, stream) -> {
      if (request.hasRequestBody()) {
        return List.of(ProcessingResponse.newBuilder().setRequestBody(BodyResponse.newBuilder().setResponse(
            CommonResponse.newBuilder().setHeaderMutation(ScriptedServer.setHeader("x-after-body", "yes")))).build());
      }
      return correct;
    });
    try (FakeEnvoy envoy = FakeEnvoy.forService(server)) {
      ExchangeResult result = envoy.run(post(BodySendMode.BUFFERED, "0123456789").chunkSize(3).build());

      assertThat(result.sent()).filteredOn(ProcessingRequest::hasRequestBody).hasSize(1);
      assertThat(result.upstream().headers().get("x-after-body")).isEqualTo("yes");
      assertThat(result.upstream().headers().get("content-length")).isEqualTo("10");
      assertThat(result.upstream().body().utf8()).isEqualTo("0123456789");
    }
  }

  @Test
  void buffered_replacementWithStaleContentLength_is500() {
    try (FakeEnvoy envoy = FakeEnvoy.forService(ScriptedServer.transforming(b -> ByteString.copyFromUtf8("longer body")))) {
      ExchangeResult result = envoy.run(post(BodySendMode.BUFFERED, "short").build());

      assertThat(result.status()).isEqualTo(500);
      assertThat(result.upstreamRequest()).isEmpty();
    }
  }

  @Test
  void buffered_overBufferLimit_is413WithoutBodyMessage() {
    try (FakeEnvoy envoy = FakeEnvoy.forService(ScriptedServer.correct())) {
      ExchangeResult result = envoy.run(Exchange.builder().bodyMode(BodySendMode.BUFFERED)
          .requestBody(BodySource.random(2000, 1)).bufferLimit(1000).build());

      assertThat(result.status()).isEqualTo(413);
      assertThat(result.sent()).noneMatch(ProcessingRequest::hasRequestBody);
    }
  }

  @Test
  void bufferedPartial_sendsUpToLimit_restPassesThrough() {
    BodySource body = BodySource.random(10_000, 3);
    try (FakeEnvoy envoy = FakeEnvoy.forService(ScriptedServer.correct())) {
      ExchangeResult result = envoy.run(Exchange.builder().requestBodyMode(BodySendMode.BUFFERED_PARTIAL)
          .requestBody(body).bufferLimit(4000).chunkSize(1000).build());

      ProcessingRequest partial = result.sent().get(1);
      assertThat(partial.getRequestBody().getEndOfStream()).isFalse();
      assertThat(partial.getRequestBody().getBody().size()).isEqualTo(5000);
      assertThat(result.upstream().body().digest()).isEqualTo(body.digest());
    }
  }

  @Test
  void getWithoutBody_headersCarryEndOfStream_noBodyMessage() {
    try (FakeEnvoy envoy = FakeEnvoy.forService(ScriptedServer.correct())) {
      ExchangeResult result = envoy.run(Exchange.builder().bodyMode(BodySendMode.BUFFERED).build());

      assertThat(result.sent().get(0).getRequestHeaders().getEndOfStream()).isTrue();
      assertThat(result.messagesSent()).isEqualTo(2);
    }
  }

  @Test
  void emptyBody_oneEmptyBodyMessageWithEndOfStream() {
    try (FakeEnvoy envoy = FakeEnvoy.forService(ScriptedServer.correct())) {
      ExchangeResult result = envoy.run(Exchange.builder().bodyMode(BodySendMode.BUFFERED)
          .requestBody(BodySource.empty()).build());

      assertThat(result.sent().get(0).getRequestHeaders().getEndOfStream()).isFalse();
      assertThat(result.sent().get(1).getRequestBody().getBody().isEmpty()).isTrue();
      assertThat(result.sent().get(1).getRequestBody().getEndOfStream()).isTrue();
    }
  }

  @Test
  void bodyReplyToHeadersMessage_isReplyTypeViolation() {
    ScriptedServer server = ScriptedServer.scripted((request, correct, stream) -> request.hasRequestHeaders()
        ? List.of(ProcessingResponse.newBuilder().setRequestBody(BodyResponse.getDefaultInstance()).build())
        : correct);
    try (FakeEnvoy envoy = FakeEnvoy.forService(server)) {
      assertThatThrownBy(() -> envoy.run(post(BodySendMode.STREAMED, "x").build()))
          .isInstanceOf(ProtocolViolation.class)
          .hasMessageContaining("[reply-type]").hasMessageContaining("reply #1");
    }
  }

  @Test
  void streamedResponseInStreamedMode_isViolation() {
    ScriptedServer server = ScriptedServer.scripted((request, correct, stream) -> request.hasRequestBody()
        ? List.of(ProcessingResponse.newBuilder().setRequestBody(BodyResponse.newBuilder().setResponse(
            CommonResponse.newBuilder().setBodyMutation(BodyMutation.newBuilder()
                .setStreamedResponse(StreamedBodyResponse.getDefaultInstance())))).build())
        : correct);
    try (FakeEnvoy envoy = FakeEnvoy.forService(server)) {
      assertThatThrownBy(() -> envoy.run(post(BodySendMode.STREAMED, "x").build()))
          .isInstanceOf(ProtocolViolation.class).hasMessageContaining("[streamed-response-outside-fds]");
    }
  }

  @Test
  void emptyBodyResponseInFullDuplex_isViolation() {
    ScriptedServer server = ScriptedServer.scripted((request, correct, stream) -> request.hasRequestBody()
        ? List.of(ProcessingResponse.newBuilder().setRequestBody(BodyResponse.getDefaultInstance()).build())
        : correct);
    try (FakeEnvoy envoy = FakeEnvoy.forService(server)) {
      assertThatThrownBy(() -> envoy.run(post(BodySendMode.FULL_DUPLEX_STREAMED, "x").trailerMode(HeaderSendMode.SEND).build()))
          .isInstanceOf(ProtocolViolation.class).hasMessageContaining("[fds-empty-body-response]");
    }
  }

  @Test
  void fullDuplexBodyReplyBeforeHeaderReply_isViolation() {
    ScriptedServer server = ScriptedServer.scripted((request, correct, stream) -> {
      if (request.hasRequestHeaders()) {
        return List.of(); // hold the header reply
      }
      if (request.hasRequestBody()) {
        return correct;
      }
      return correct;
    });
    try (FakeEnvoy envoy = FakeEnvoy.forService(server)) {
      assertThatThrownBy(() -> envoy.run(post(BodySendMode.FULL_DUPLEX_STREAMED, "x").build()))
          .isInstanceOf(ProtocolViolation.class).hasMessageContaining("[fds-body-before-header-reply]");
    }
  }

  @Test
  void secondReplyToSameMessage_isExtraReply() {
    ScriptedServer server = ScriptedServer.scripted((request, correct, stream) -> request.hasResponseHeaders()
        ? List.of(correct.get(0), correct.get(0)) : correct);
    try (FakeEnvoy envoy = FakeEnvoy.forService(server)) {
      assertThatThrownBy(() -> envoy.run(Exchange.builder().closeMode(CloseMode.GRACEFUL).build()))
          .isInstanceOf(ProtocolViolation.class).hasMessageContaining("[extra-reply]");
    }
  }

  @Test
  void headerValueOnlyInValueField_isViolation() {
    HeaderMutation valueOnly = HeaderMutation.newBuilder().addSetHeaders(HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey("x-a").setValue("v"))).build();
    ScriptedServer server = ScriptedServer.scripted((request, correct, stream) -> request.hasRequestHeaders()
        ? List.of(ProcessingResponse.newBuilder().setRequestHeaders(HeadersResponse.newBuilder()
            .setResponse(CommonResponse.newBuilder().setHeaderMutation(valueOnly))).build())
        : correct);
    try (FakeEnvoy envoy = FakeEnvoy.forService(server)) {
      assertThatThrownBy(() -> envoy.run(Exchange.builder().build()))
          .isInstanceOf(ProtocolViolation.class).hasMessageContaining("[header-raw-value]");
    }
  }

  @Test
  void headerMutations_appendAndDisallowedHeaders_followEnvoyRules() {
    HeaderMutation mutation = HeaderMutation.newBuilder()
        .addSetHeaders(option("x-multi", "two", true))
        .addSetHeaders(option("host", "evil", false))
        .addSetHeaders(option(":path", "/rewritten", false))
        .addRemoveHeaders("x-gone")
        .build();
    ScriptedServer server = ScriptedServer.scripted((request, correct, stream) -> request.hasRequestHeaders()
        ? List.of(ProcessingResponse.newBuilder().setRequestHeaders(HeadersResponse.newBuilder()
            .setResponse(CommonResponse.newBuilder().setHeaderMutation(mutation))).build())
        : correct);
    try (FakeEnvoy envoy = FakeEnvoy.forService(server)) {
      ExchangeResult result = envoy.run(Exchange.builder()
          .requestHeaders(Headers.of(":method", "GET", ":path", "/", "host", "a", "x-multi", "one", "x-gone", "1"))
          .build());

      assertThat(result.upstream().headers().getAll("x-multi")).containsExactly("one", "two");
      assertThat(result.upstream().headers().get("host")).isEqualTo("a");
      assertThat(result.upstream().headers().get(":path")).isEqualTo("/rewritten");
      assertThat(result.upstream().headers().contains("x-gone")).isFalse();
      assertThat(result.notes()).anyMatch(n -> n.contains("host"));
    }
  }

  @Test
  void immediateResponseToHeaders_clientGetsIt_upstreamNeverContacted() {
    ScriptedServer server = ScriptedServer.scripted((request, correct, stream) -> request.hasRequestHeaders()
        ? List.of(ProcessingResponse.newBuilder().setImmediateResponse(ImmediateResponse.newBuilder()
            .setStatus(HttpStatus.newBuilder().setCodeValue(403)).setBody(ByteString.copyFromUtf8("denied"))
            .setDetails("no entry")).build())
        : correct);
    try (FakeEnvoy envoy = FakeEnvoy.forService(server)) {
      ExchangeResult result = envoy.run(post(BodySendMode.STREAMED, "x").build());

      assertThat(result.status()).isEqualTo(403);
      assertThat(result.client().body().utf8()).isEqualTo("denied");
      assertThat(result.localReplyDetails()).contains("no_entry");
      assertThat(result.upstreamRequest()).isEmpty();
    }
  }

  @Test
  void serverError_failsClosedWith500_orPassesWithFailureModeAllow() {
    ScriptedServer server = ScriptedServer.scripted((request, correct, stream) -> {
      stream.out.onError(Status.INTERNAL.withDescription("boom").asRuntimeException());
      return List.of();
    });
    try (FakeEnvoy envoy = FakeEnvoy.forService(server)) {
      ExchangeResult closed = envoy.run(post(BodySendMode.STREAMED, "abc").build());
      ExchangeResult open = envoy.run(post(BodySendMode.STREAMED, "abc").failureModeAllow(true).build());

      assertThat(closed.status()).isEqualTo(500);
      assertThat(closed.localReplyDetails()).contains("ext_proc_error_gRPC_error_13{boom}");
      assertThat(closed.grpcStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
      assertThat(open.status()).isEqualTo(200);
      assertThat(open.upstream().body().utf8()).isEqualTo("abc");
    }
  }

  @Test
  void modeOverrideInHeaderReply_switchesBodyMode_whenAllowed() {
    ProcessingMode streamed = ProcessingMode.newBuilder().setRequestBodyMode(BodySendMode.STREAMED).build();
    ScriptedServer server = ScriptedServer.scripted((request, correct, stream) -> {
      if (request.hasRequestHeaders()) {
        stream.requestMode = BodySendMode.STREAMED;
        return List.of(correct.get(0).toBuilder().setModeOverride(streamed).build());
      }
      return correct;
    });
    try (FakeEnvoy envoy = FakeEnvoy.forService(server)) {
      ExchangeResult allowed = envoy.run(post(BodySendMode.NONE, "abc").allowModeOverride(true).build());
      ExchangeResult ignored = envoy.run(post(BodySendMode.NONE, "abc").build());

      assertThat(allowed.sent()).filteredOn(ProcessingRequest::hasRequestBody).hasSize(2);
      assertThat(ignored.sent()).noneMatch(ProcessingRequest::hasRequestBody);
      assertThat(ignored.notes()).anyMatch(n -> n.contains("mode_override ignored"));
    }
  }

  @Test
  void continueAndReplaceInHeaderReply_replacesBody_noBodyMessages() {
    ScriptedServer server = ScriptedServer.scripted((request, correct, stream) -> request.hasRequestHeaders()
        ? List.of(ProcessingResponse.newBuilder().setRequestHeaders(HeadersResponse.newBuilder().setResponse(
            CommonResponse.newBuilder().setStatus(CommonResponse.ResponseStatus.CONTINUE_AND_REPLACE)
                .setBodyMutation(BodyMutation.newBuilder().setBody(ByteString.copyFromUtf8("new"))))).build())
        : correct);
    try (FakeEnvoy envoy = FakeEnvoy.forService(server)) {
      ExchangeResult result = envoy.run(post(BodySendMode.BUFFERED, "old body").build());

      assertThat(result.upstream().body().utf8()).isEqualTo("new");
      assertThat(result.upstream().headers().contains("content-length")).isFalse();
      assertThat(result.sent()).noneMatch(ProcessingRequest::hasRequestBody);
    }
  }

  @Test
  void sendBodyWithoutWaiting_bodyRepliesAfterHeaderReply() {
    try (FakeEnvoy envoy = FakeEnvoy.forService(ScriptedServer.correct())) {
      ExchangeResult result = envoy.run(post(BodySendMode.STREAMED, "abcdef").chunkSize(2)
          .sendBodyWithoutWaitingForHeaderResponse(true).build());

      assertThat(result.upstream().body().utf8()).isEqualTo("abcdef");
      assertThat(result.sent().get(0).getProtocolConfig().getSendBodyWithoutWaitingForHeaderResponse()).isTrue();
    }
  }

  @Test
  void heldBeforeHeaderReply_aggregatesFirstChunk() {
    try (FakeEnvoy envoy = FakeEnvoy.forService(ScriptedServer.correct())) {
      ExchangeResult result = envoy.run(post(BodySendMode.STREAMED, "abcdefghij").chunkSize(2)
          .framing(Framing.HTTP2).heldBeforeHeaderReply(6).build());

      assertThat(result.sent().get(1).getRequestBody().getBody().toStringUtf8()).isEqualTo("abcdef");
      assertThat(result.upstream().body().utf8()).isEqualTo("abcdefghij");
    }
  }

  @Test
  void rawStream_collectsRepliesAndStatus() {
    try (FakeEnvoy envoy = FakeEnvoy.forService(ScriptedServer.correct())) {
      RawResult result = envoy.sendRaw(List.of(ProcessingRequest.newBuilder()
          .setRequestHeaders(HttpHeaders.newBuilder().setEndOfStream(true)).build()));

      assertThat(result.replies()).hasSize(1);
      assertThat(result.replies().get(0).hasRequestHeaders()).isTrue();
      assertThat(result.status().isOk()).isTrue();
    }
  }

  @Test
  void noProcessing_opensNoStream() {
    try (FakeEnvoy envoy = FakeEnvoy.forService(ScriptedServer.correct())) {
      ExchangeResult result = envoy.run(Exchange.builder().requestHeaderMode(HeaderSendMode.SKIP)
          .responseHeaderMode(HeaderSendMode.SKIP).requestBody(BodySource.of("abc")).build());

      assertThat(result.streamOpened()).isFalse();
      assertThat(result.upstream().body().utf8()).isEqualTo("abc");
    }
  }

  private static HeaderValueOption option(String name, String value, boolean append) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(name).setRawValue(ByteString.copyFromUtf8(value)))
        .setAppend(com.google.protobuf.BoolValue.of(append)).build();
  }
}
