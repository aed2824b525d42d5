package dev.extproc.internal;

import static dev.extproc.testkit.EnvoyMessages.bytes;
import static dev.extproc.testkit.EnvoyMessages.modes;
import static dev.extproc.testkit.EnvoyMessages.requestBody;
import static dev.extproc.testkit.EnvoyMessages.requestHeaders;
import static dev.extproc.testkit.EnvoyMessages.requestTrailers;
import static dev.extproc.testkit.EnvoyMessages.responseBody;
import static dev.extproc.testkit.EnvoyMessages.responseHeaders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExchangeProcessor;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import dev.extproc.MessageContext;
import dev.extproc.PassthroughProcessor;
import dev.extproc.Processing;
import dev.extproc.ProcessorFactory;
import dev.extproc.testkit.EmbeddedStream;
import dev.extproc.testkit.ExtProcExtension;
import dev.extproc.testing.FakeEnvoy;
import dev.extproc.testing.RawStream;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import io.grpc.Status;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The engine's stream-level tests, driven through {@link EmbeddedStream} (they moved here from
 * extproc-core, which cannot depend on the testkit that depends on it).
 */
class ExchangeTest {
  private static final ExtProcConfig CONFIG = ExtProcConfig.defaults();

  @RegisterExtension final ExtProcExtension extproc = new ExtProcExtension();

  private ExtProcService service(ProcessorFactory factory, ExtProcConfig config) {
    return ExtProcService.builder(factory).config(config).scheduler(extproc.manualScheduler()).build();
  }

  @Test
  void streamedPassThroughAnswersEveryMessageInOrderWithoutMutation() throws Exception {
    {
      ExtProcService service = service(PassthroughProcessor.factory(), CONFIG);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false, ":path", "/"));
      assertThat(stream.awaitReply().getRequestHeaders().getResponse()).isEqualTo(CommonResponse.getDefaultInstance());
      stream.send(requestBody(bytes(1000, 1), false));
      stream.send(requestBody(ByteString.EMPTY, true));
      assertThat(stream.awaitReply().getRequestBody().getResponse()).isEqualTo(CommonResponse.getDefaultInstance());
      assertThat(stream.awaitReply().getRequestBody().getResponse()).isEqualTo(CommonResponse.getDefaultInstance());
      stream.send(responseHeaders(true, ":status", "200"));
      assertThat(stream.awaitReply().hasResponseHeaders()).isTrue();
      stream.halfClose();
      assertThat(stream.awaitClose().getCode()).isEqualTo(Status.Code.OK);
      await().until(() -> service.stats().activeStreams() == 0);
      assertThat(service.stats().streamsCompleted()).isEqualTo(1);
      assertThat(service.stats().bytesHeld()).isZero();
    }
  }

  @Test
  void streamedChunkNotWrittenBackIsClearedAndOtherOutputReplacesIt() throws Exception {
    ExchangeProcessor upperOddDropEven = new ExchangeProcessor() {
      int count;

      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        return count++ % 2 == 0 ? ctx.write(ByteString.copyFromUtf8(chunk.toStringUtf8().toUpperCase())) : Processing.done();
      }

      @Override
      public CompletionStage<Void> onEnd(MessageContext ctx) {
        return ctx.write(ByteString.copyFromUtf8("!"));
      }
    };
    {
      ExtProcService service = service(exchange -> upperOddDropEven, CONFIG);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.NONE), false));
      stream.awaitReply();
      stream.send(requestBody(ByteString.copyFromUtf8("abc"), false));
      stream.send(requestBody(ByteString.copyFromUtf8("def"), false));
      stream.send(requestBody(ByteString.EMPTY, true));
      assertThat(stream.awaitReply().getRequestBody().getResponse().getBodyMutation().getBody().toStringUtf8()).isEqualTo("ABC");
      assertThat(stream.awaitReply().getRequestBody().getResponse().getBodyMutation().getClearBody()).isTrue();
      assertThat(stream.awaitReply().getRequestBody().getResponse().getBodyMutation().getBody().toStringUtf8()).isEqualTo("!");
      stream.cancel();
    }
  }

  @Test
  void fullDuplexRechunksOutputAndEndsWithEndOfStream() throws Exception {
    ExtProcConfig config = CONFIG.withMaxChunkBytes(1000).withMaxPendingOutputBytes(4000);
    {
      ExtProcService service = service(PassthroughProcessor.factory(), config);
      EmbeddedStream stream = extproc.embedded(service);
      ByteString body = bytes(10_500, 7);
      stream.send(requestHeaders(modes(BodySendMode.FULL_DUPLEX_STREAMED, BodySendMode.NONE), false));
      stream.send(requestBody(body.substring(0, 6000), false));
      stream.send(requestBody(body.substring(6000), false));
      stream.send(requestBody(ByteString.EMPTY, true));
      assertThat(stream.awaitReply().hasRequestHeaders()).isTrue();
      ByteString received = ByteString.EMPTY;
      boolean end = false;
      int replies = 0;
      while (!end) {
        ProcessingResponse reply = stream.awaitReply();
        BodyMutation mutation = reply.getRequestBody().getResponse().getBodyMutation();
        assertThat(mutation.hasStreamedResponse()).as("every FULL_DUPLEX body reply is a streamed_response").isTrue();
        StreamedBodyResponse streamed = mutation.getStreamedResponse();
        assertThat(streamed.getBody().size()).isLessThanOrEqualTo(1000);
        received = received.concat(streamed.getBody());
        end = streamed.getEndOfStream();
        replies++;
      }
      assertThat(received).isEqualTo(body);
      assertThat(replies).isGreaterThanOrEqualTo(11);
      stream.halfClose();
      assertThat(stream.awaitClose().getCode()).isEqualTo(Status.Code.OK);
      await().until(() -> service.stats().activeStreams() == 0);
      assertThat(service.stats().streamsCompleted()).isEqualTo(1);
    }
  }

  @Test
  void fullDuplexWithTrailersEndsWithTrailersReplyAndNoEndOfStreamChunk() throws Exception {
    {
      ExtProcService service = service(PassthroughProcessor.factory(), CONFIG);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.FULL_DUPLEX_STREAMED, BodySendMode.NONE), false));
      stream.send(requestBody(ByteString.copyFromUtf8("hello"), false));
      stream.send(requestTrailers("x-checksum", "1"));
      assertThat(stream.awaitReply().hasRequestHeaders()).isTrue();
      StreamedBodyResponse chunk = stream.awaitReply().getRequestBody().getResponse().getBodyMutation().getStreamedResponse();
      assertThat(chunk.getBody().toStringUtf8()).isEqualTo("hello");
      assertThat(chunk.getEndOfStream()).isFalse();
      assertThat(stream.awaitReply().hasRequestTrailers()).isTrue();
      stream.cancel();
    }
  }

  @Test
  void fullDuplexDoesNotReadAheadWhileTheProcessorIsBusy() throws Exception {
    CompletableFuture<Void> gate = new CompletableFuture<>();
    AtomicInteger bodies = new AtomicInteger();
    ExchangeProcessor slow = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        bodies.incrementAndGet();
        return gate.thenCompose(ignored -> ctx.write(chunk));
      }
    };
    {
      ExtProcService service = service(exchange -> slow, CONFIG);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.FULL_DUPLEX_STREAMED, BodySendMode.NONE), false));
      for (int i = 0; i < 5; i++) {
        stream.send(requestBody(bytes(100, i), i == 4));
      }
      assertThat(stream.awaitReply().hasRequestHeaders()).isTrue();
      await().until(() -> bodies.get() == 1);
      assertThat(stream.poll()).isNull();
      assertThat(bodies.get()).isEqualTo(1);
      gate.complete(null);
      int received = 0;
      boolean end = false;
      while (!end) {
        StreamedBodyResponse chunk = stream.awaitReply().getRequestBody().getResponse().getBodyMutation().getStreamedResponse();
        received += chunk.getBody().size();
        end = chunk.getEndOfStream();
      }
      assertThat(received).isEqualTo(500);
      assertThat(bodies.get()).isEqualTo(5);
      stream.cancel();
    }
  }

  @Test
  void bufferedReplacementSetsContentLengthAndHeaderMutationsGoIntoTheBodyReply() throws Exception {
    ExchangeProcessor replace = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        ctx.setHeader("x-replaced", "yes");
        return ctx.write(ByteString.copyFromUtf8("replacement"));
      }
    };
    {
      ExtProcService service = service(exchange -> replace, CONFIG);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.BUFFERED, BodySendMode.NONE), false, "content-length", "3"));
      stream.awaitReply();
      stream.send(requestBody(ByteString.copyFromUtf8("abc"), true));
      CommonResponse reply = stream.awaitReply().getRequestBody().getResponse();
      assertThat(reply.getBodyMutation().getBody().toStringUtf8()).isEqualTo("replacement");
      assertThat(reply.getHeaderMutation().getSetHeadersList())
          .extracting(option -> option.getHeader().getKey() + "=" + option.getHeader().getRawValue().toStringUtf8())
          .containsExactly("x-replaced=yes", "content-length=11");
      stream.cancel();
    }
  }

  @Test
  void bufferedWithTrailersCallsOnEndAfterTheBody() throws Exception {
    List<String> events = new CopyOnWriteArrayList<>();
    ExchangeProcessor recorder = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        events.add("body");
        return ctx.write(chunk);
      }

      @Override
      public CompletionStage<Void> onEnd(MessageContext ctx) {
        events.add("end");
        return Processing.done();
      }

      @Override
      public CompletionStage<Void> onTrailers(MessageContext ctx, HttpHeaders trailers) {
        events.add("trailers");
        ctx.setHeader("x-trailer", "set");
        return Processing.done();
      }
    };
    {
      ExtProcService service = service(exchange -> recorder, CONFIG);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.BUFFERED, BodySendMode.NONE), false));
      stream.send(requestBody(ByteString.copyFromUtf8("whole"), false));
      stream.send(requestTrailers("x-t", "1"));
      stream.awaitReply();
      assertThat(stream.awaitReply().getRequestBody().getResponse()).isEqualTo(CommonResponse.getDefaultInstance());
      assertThat(stream.awaitReply().getRequestTrailers().getHeaderMutation().getSetHeaders(0).getHeader().getKey())
          .isEqualTo("x-trailer");
      assertThat(events).containsExactly("body", "end", "trailers");
      stream.cancel();
    }
  }

  @Test
  void outputWrittenForAHeadersOnlyMessageRepliesContinueAndReplace() throws Exception {
    ExchangeProcessor inject = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onEnd(MessageContext ctx) {
        return ctx.write(ByteString.copyFromUtf8("injected"));
      }
    };
    {
      ExtProcService service = service(exchange -> inject, CONFIG);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), true, ":method", "GET"));
      CommonResponse reply = stream.awaitReply().getRequestHeaders().getResponse();
      assertThat(reply.getStatus()).isEqualTo(CommonResponse.ResponseStatus.CONTINUE_AND_REPLACE);
      assertThat(reply.getBodyMutation().getBody().toStringUtf8()).isEqualTo("injected");
      stream.cancel();
    }
  }

  @Test
  void immediateResponseIsSentThenTheStreamCompletes() throws Exception {
    AtomicInteger closes = new AtomicInteger();
    List<ExchangeOutcome> outcomes = new CopyOnWriteArrayList<>();
    ExchangeProcessor deny = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        ctx.respond(ImmediateResponse.of(403, "denied").withHeaders(HttpHeaders.of("x-why", "test")));
        return Processing.done();
      }

      @Override
      public void onClose(ExchangeOutcome outcome) {
        closes.incrementAndGet();
        outcomes.add(outcome);
      }
    };
    {
      ExtProcService service = service(exchange -> deny, CONFIG);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false));
      ProcessingResponse reply = stream.awaitReply();
      assertThat(reply.getImmediateResponse().getStatus().getCodeValue()).isEqualTo(403);
      assertThat(reply.getImmediateResponse().getBody().toStringUtf8()).isEqualTo("denied");
      assertThat(reply.getImmediateResponse().getHeaders().getSetHeaders(0).getHeader().getKey()).isEqualTo("x-why");
      assertThat(stream.awaitClose().getCode()).isEqualTo(Status.Code.OK);
      await().until(() -> closes.get() == 1);
      assertThat(outcomes).containsExactly(ExchangeOutcome.IMMEDIATE_RESPONSE);
      assertThat(stream.poll()).isNull();
      assertThat(service.stats().immediateResponses()).isEqualTo(1);
    }
  }

  @Test
  void modeOverrideFromHeadersReplyChangesTheBodyModeOfLaterMessages() throws Exception {
    ExchangeProcessor override = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        ctx.overrideMode(ProcessingMode.newBuilder()
            .setRequestBodyMode(BodySendMode.BUFFERED).setResponseBodyMode(BodySendMode.STREAMED).build());
        return Processing.done();
      }
    };
    {
      ExtProcService service = service(exchange -> override, CONFIG.withModeOverrideAllowed(true));
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.NONE, BodySendMode.NONE), false));
      assertThat(stream.awaitReply().getModeOverride().getRequestBodyMode()).isEqualTo(BodySendMode.BUFFERED);
      stream.send(requestBody(ByteString.copyFromUtf8("now buffered"), true));
      assertThat(stream.awaitReply().hasRequestBody()).isTrue();
      stream.cancel();
    }
  }

  @Test
  void headersAfterBodyFailTheStreamNamingTheRule() throws Exception {
    assertProtocolError(
        List.of(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false),
            requestBody(ByteString.copyFromUtf8("x"), false),
            requestHeaders(null, false)),
        Status.Code.FAILED_PRECONDITION, "headers must come first in a direction");
  }

  @Test
  void secondHeadersMessageFailsTheStream() throws Exception {
    assertProtocolError(
        List.of(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false), requestHeaders(null, false)),
        Status.Code.FAILED_PRECONDITION, "one headers message per direction");
  }

  @Test
  void bodyAfterEndOfStreamFailsTheStream() throws Exception {
    assertProtocolError(
        List.of(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false),
            requestBody(ByteString.copyFromUtf8("x"), true),
            requestBody(ByteString.copyFromUtf8("y"), false)),
        Status.Code.FAILED_PRECONDITION, "nothing follows end_of_stream");
  }

  @Test
  void messageWithoutOneofFailsTheStream() throws Exception {
    assertProtocolError(List.of(ProcessingRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT, "no request set");
  }

  @Test
  void bodyInModeNoneFailsTheStream() throws Exception {
    assertProtocolError(
        List.of(requestHeaders(modes(BodySendMode.NONE, BodySendMode.NONE), false), requestBody(ByteString.EMPTY, true)),
        Status.Code.FAILED_PRECONDITION, "body mode NONE");
  }

  @Test
  void bodyFirstIsLegalWhenHeadersAreSkipped() throws Exception {
    {
      ExtProcService service = service(PassthroughProcessor.factory(), CONFIG);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(ProcessingRequest.newBuilder(responseBody(ByteString.copyFromUtf8("x"), true))
          .setProtocolConfig(modes(BodySendMode.NONE, BodySendMode.STREAMED)).build());
      assertThat(stream.awaitReply().hasResponseBody()).isTrue();
      stream.cancel();
    }
  }

  @Test
  void oversizedMessageFailsOnlyItsStreamAndReleasesIt() throws Exception {
    ExtProcConfig small = CONFIG.withMaxChunkBytes(1024).withMaxPendingOutputBytes(1024)
        .withMaxBodyMessageBytes(1024);
    // The size limit is gRPC's transport's, so this test runs over in-process gRPC, not EmbeddedStream.
    ExtProcService service = extproc.service(PassthroughProcessor.factory(), small);
    FakeEnvoy envoy = extproc.fakeEnvoy(service);
    try (RawStream other = envoy.openRaw(); RawStream stream = envoy.openRaw()) {
      other.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false));
      other.nextReply();
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false));
      stream.nextReply();
      stream.send(requestBody(bytes(small.maxInboundMessageBytes() + 10, 3), true));
      assertThat(stream.awaitStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      await().until(() -> service.stats().activeStreams() == 1);
      other.send(requestBody(ByteString.copyFromUtf8("fine"), true));
      assertThat(other.nextReply().hasRequestBody()).isTrue();
      other.cancel();
    }
  }

  @Test
  void processorThatThrowsFailsTheStreamWithInternal() throws Exception {
    ExchangeProcessor broken = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        throw new IllegalStateException("boom");
      }
    };
    {
      ExtProcService service = service(exchange -> broken, CONFIG);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false));
      stream.awaitReply();
      stream.send(requestBody(ByteString.copyFromUtf8("x"), true));
      Status status = stream.awaitClose();
      assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
      assertThat(status.getDescription()).contains("onBody").contains("boom");
      await().until(() -> service.stats().streamsFailed() == 1);
    }
  }

  @Test
  void failedStageWithImmediate500PolicyAnswers500() throws Exception {
    ExchangeProcessor broken = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        return Processing.failed(new RuntimeException("disk full"));
      }
    };
    ExtProcConfig config = CONFIG.withProcessorErrorPolicy(ExtProcConfig.ProcessorErrorPolicy.IMMEDIATE_500);
    {
      ExtProcService service = service(exchange -> broken, config);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false));
      stream.awaitReply();
      stream.send(requestBody(ByteString.copyFromUtf8("x"), true));
      assertThat(stream.awaitReply().getImmediateResponse().getStatus().getCodeValue()).isEqualTo(500);
      assertThat(stream.awaitClose().getCode()).isEqualTo(Status.Code.OK);
    }
  }

  @Test
  void headerMutationInStreamedBodyEventFailsWithAClearMessage() throws Exception {
    ExchangeProcessor wrong = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        ctx.setHeader("x-late", "1");
        return ctx.write(chunk);
      }
    };
    {
      ExtProcService service = service(exchange -> wrong, CONFIG);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false));
      stream.awaitReply();
      stream.send(requestBody(ByteString.copyFromUtf8("x"), true));
      Status status = stream.awaitClose();
      assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
      assertThat(status.getDescription()).contains("ignores header mutations in STREAMED");
    }
  }

  @Test
  void cancellationReleasesTheStreamAndClosesTheProcessorOnce() throws Exception {
    AtomicInteger closes = new AtomicInteger();
    List<ExchangeOutcome> outcomes = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> never = new CompletableFuture<>();
    ExchangeProcessor stuck = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        ctx.write(chunk);
        return never;
      }

      @Override
      public void onClose(ExchangeOutcome outcome) {
        closes.incrementAndGet();
        outcomes.add(outcome);
      }
    };
    {
      ExtProcService service = service(exchange -> stuck, CONFIG);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.FULL_DUPLEX_STREAMED, BodySendMode.STREAMED), false));
      stream.awaitReply();
      stream.send(requestBody(bytes(10_000, 1), false));
      await().until(() -> service.stats().bytesHeld() > 0);
      stream.cancel();
      await().until(() -> closes.get() == 1);
      assertThat(outcomes).containsExactly(ExchangeOutcome.CANCELLED);
      assertThat(service.stats().activeStreams()).isZero();
      assertThat(service.stats().bytesHeld()).isZero();
      assertThat(service.stats().streamsCancelled()).isEqualTo(1);
    }
  }

  @Test
  void streamedOutputAfterTheLastBodyReplyFailsWhenTrailersEndTheMessage() throws Exception {
    ExchangeProcessor late = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onEnd(MessageContext ctx) {
        return ctx.write(ByteString.copyFromUtf8("too late"));
      }
    };
    {
      ExtProcService service = service(exchange -> late, CONFIG);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false));
      stream.awaitReply();
      stream.send(requestBody(ByteString.copyFromUtf8("x"), false));
      stream.awaitReply();
      stream.send(requestTrailers("x-t", "1"));
      Status status = stream.awaitClose();
      assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
      assertThat(status.getDescription()).contains("cannot be delivered");
    }
  }

  @Test
  void largeFullDuplexBodyIsStreamedWithBytesHeldUnderTheConfiguredBound() throws Exception {
    assertLargeBodyPassesWithBoundedMemory(BodySendMode.FULL_DUPLEX_STREAMED, 64 * 1024 * 1024);
  }

  @Test
  void largeStreamedBodyIsStreamedWithBytesHeldUnderTheConfiguredBound() throws Exception {
    assertLargeBodyPassesWithBoundedMemory(BodySendMode.STREAMED, 16 * 1024 * 1024);
  }

  private void assertLargeBodyPassesWithBoundedMemory(BodySendMode mode, int size) throws Exception {
    // A processor that re-creates every chunk, so no reply is a "no mutation" shortcut.
    ExchangeProcessor copy = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        return ctx.write(ByteString.copyFrom(chunk.toByteArray()));
      }
    };
    {
      ExtProcService service = service(exchange -> copy, CONFIG);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(mode, BodySendMode.NONE), false));
      assertThat(stream.awaitReply().hasRequestHeaders()).isTrue();
      ByteString chunk = bytes(64 * 1024, 11);
      java.security.MessageDigest sent = java.security.MessageDigest.getInstance("SHA-256");
      java.security.MessageDigest received = java.security.MessageDigest.getInstance("SHA-256");
      long receivedBytes = 0;
      boolean end = false;
      int chunks = size / chunk.size();
      for (int i = 0; i < chunks; i++) {
        stream.send(requestBody(chunk, false));
        sent.update(chunk.asReadOnlyByteBuffer());
        // Envoy's side: STREAMED waits for each reply; FULL_DUPLEX keeps a window of messages in flight.
        while (stream.repliesWaiting() > 0 || (mode == BodySendMode.STREAMED && receivedBytes < (long) (i + 1) * chunk.size())) {
          ProcessingResponse reply = stream.awaitReply();
          ByteString body = mode == BodySendMode.STREAMED
              ? reply.getRequestBody().getResponse().getBodyMutation().getBody()
              : reply.getRequestBody().getResponse().getBodyMutation().getStreamedResponse().getBody();
          received.update(body.asReadOnlyByteBuffer());
          receivedBytes += body.size();
        }
      }
      stream.send(requestBody(ByteString.EMPTY, true));
      while (!end) {
        ProcessingResponse reply = stream.awaitReply();
        if (mode == BodySendMode.STREAMED) {
          end = true;
        } else {
          StreamedBodyResponse streamed = reply.getRequestBody().getResponse().getBodyMutation().getStreamedResponse();
          received.update(streamed.getBody().asReadOnlyByteBuffer());
          receivedBytes += streamed.getBody().size();
          end = streamed.getEndOfStream();
        }
      }
      assertThat(receivedBytes).isEqualTo((long) chunks * chunk.size());
      assertThat(received.digest()).isEqualTo(sent.digest());
      stream.cancel();
      await().until(() -> service.stats().activeStreams() == 0);
      assertThat(service.stats().peakBytesHeldPerStream())
          .isGreaterThan(0)
          .isLessThanOrEqualTo(CONFIG.maxBytesHeldPerStream());
      assertThat(service.stats().bytesHeld()).isZero();
    }
  }

  @Test
  void fullDuplexOutputStopsWhileEnvoyDoesNotReadAndResumesWhenItDoes() throws Exception {
    int total = 8 * 1024 * 1024;
    ExchangeProcessor generator = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        return Processing.done();
      }

      @Override
      public CompletionStage<Void> onEnd(MessageContext ctx) {
        return writeFrom(ctx, 0);
      }

      private CompletionStage<Void> writeFrom(MessageContext ctx, int offset) {
        if (offset >= total) {
          return Processing.done();
        }
        return ctx.write(bytes(16 * 1024, offset)).thenCompose(ignored -> writeFrom(ctx, offset + 16 * 1024));
      }
    };
    ExtProcConfig config = CONFIG.withMaxPendingOutputBytes(256 * 1024);
    {
      ExtProcService service = service(exchange -> generator, config);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.FULL_DUPLEX_STREAMED, BodySendMode.NONE), false));
      assertThat(stream.awaitReply().hasRequestHeaders()).isTrue();
      stream.setReady(false); // Envoy reads nothing more: the engine must stop at about the pending-output bound
      stream.send(requestBody(ByteString.copyFromUtf8("go"), true));
      await().until(() -> service.stats().bytesHeld() >= 128 * 1024);
      long heldWhileBlocked = service.stats().bytesHeld();
      assertThat(heldWhileBlocked).isLessThanOrEqualTo(config.maxPendingOutputBytes() + 16 * 1024 + 64 * 1024);
      assertThat(stream.poll()).isNull();
      stream.setReady(true);
      long received = 0;
      boolean end = false;
      while (!end) {
        StreamedBodyResponse chunk = stream.awaitReply().getRequestBody().getResponse().getBodyMutation().getStreamedResponse();
        received += chunk.getBody().size();
        end = chunk.getEndOfStream();
      }
      assertThat(received).isEqualTo(total);
      assertThat(service.stats().peakBytesHeldPerStream()).isLessThanOrEqualTo(config.maxBytesHeldPerStream());
      stream.cancel();
    }
  }

  @Test
  void headersOnlyDirectionInModeNoneCountsAsCompleted() throws Exception {
    List<ExchangeOutcome> outcomes = new CopyOnWriteArrayList<>();
    ExchangeProcessor recorder = new ExchangeProcessor() {
      @Override
      public void onClose(ExchangeOutcome outcome) {
        outcomes.add(outcome);
      }
    };
    {
      ExtProcService service = service(exchange -> recorder, CONFIG);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.NONE, BodySendMode.NONE), false));
      stream.awaitReply();
      stream.send(responseHeaders(false, ":status", "200"));
      stream.awaitReply();
      stream.cancel();
      await().until(() -> outcomes.size() == 1);
      assertThat(outcomes).containsExactly(ExchangeOutcome.COMPLETED);
    }
  }

  @Test
  void headerValueWithNewlineIsRefusedBeforeEnvoyCouldRejectIt() throws Exception {
    ExchangeProcessor injector = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        ctx.setHeader("x-bad", "a\r\nx-injected: 1");
        return Processing.done();
      }
    };
    {
      ExtProcService service = service(exchange -> injector, CONFIG);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.NONE, BodySendMode.NONE), true));
      Status status = stream.awaitClose();
      assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
      assertThat(status.getDescription()).contains("value of x-bad: contains CR, LF or NUL at index 1");
    }
  }

  @Test
  void modeOverrideIsRefusedWhenEnvoySendsBodiesWithoutWaitingForTheHeaderReply() throws Exception {
    List<String> errors = new CopyOnWriteArrayList<>();
    ExchangeProcessor override = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
        try {
          ctx.overrideMode(ProcessingMode.newBuilder().setRequestBodyMode(BodySendMode.BUFFERED).build());
        } catch (IllegalStateException e) {
          errors.add(e.getMessage());
        }
        return Processing.done();
      }
    };
    {
      ExtProcService service = service(exchange -> override, CONFIG.withModeOverrideAllowed(true));
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.NONE).toBuilder()
          .setSendBodyWithoutWaitingForHeaderResponse(true).build(), false));
      assertThat(stream.awaitReply().hasModeOverride()).isFalse();
      assertThat(errors).singleElement().asString().contains("send_body_without_waiting_for_header_response");
      stream.cancel();
    }
  }

  @Test
  void fullDuplexWithHeadersSkippedStreamsFromTheFirstBodyMessage() throws Exception {
    {
      ExtProcService service = service(PassthroughProcessor.factory(), CONFIG);
      EmbeddedStream stream = extproc.embedded(service);
      stream.send(ProcessingRequest.newBuilder(responseBody(ByteString.copyFromUtf8("abc"), false))
          .setProtocolConfig(modes(BodySendMode.NONE, BodySendMode.FULL_DUPLEX_STREAMED)).build());
      stream.send(responseBody(ByteString.EMPTY, true));
      StreamedBodyResponse first = stream.awaitReply().getResponseBody().getResponse().getBodyMutation().getStreamedResponse();
      assertThat(first.getBody().toStringUtf8()).isEqualTo("abc");
      ProcessingResponse last = first.getEndOfStream() ? null : stream.awaitReply();
      if (last != null) {
        assertThat(last.getResponseBody().getResponse().getBodyMutation().getStreamedResponse().getEndOfStream()).isTrue();
      }
      stream.cancel();
    }
  }

  private void assertProtocolError(List<ProcessingRequest> messages, Status.Code code, String rule) throws Exception {
    {
      ExtProcService service = service(PassthroughProcessor.factory(), CONFIG);
      EmbeddedStream bystander = extproc.embedded(service);
      bystander.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false));
      bystander.awaitReply();
      EmbeddedStream stream = extproc.embedded(service);
      for (ProcessingRequest message : messages) {
        stream.send(message);
      }
      Status status = stream.awaitClose();
      assertThat(status.getCode()).isEqualTo(code);
      assertThat(status.getDescription()).contains(rule);
      await().until(() -> service.stats().protocolErrors() == 1 && service.stats().activeStreams() == 1);
      bystander.send(requestBody(ByteString.copyFromUtf8("ok"), true));
      assertThat(bystander.awaitReply().hasRequestBody()).isTrue();
      bystander.cancel();
    }
  }
}
