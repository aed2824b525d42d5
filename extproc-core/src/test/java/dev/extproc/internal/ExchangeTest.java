package dev.extproc.internal;

import static dev.extproc.internal.TestEnvoy.bytes;
import static dev.extproc.internal.TestEnvoy.modes;
import static dev.extproc.internal.TestEnvoy.requestBody;
import static dev.extproc.internal.TestEnvoy.requestHeaders;
import static dev.extproc.internal.TestEnvoy.requestTrailers;
import static dev.extproc.internal.TestEnvoy.responseBody;
import static dev.extproc.internal.TestEnvoy.responseHeaders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExchangeProcessor;
import dev.extproc.ExtProcConfig;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import dev.extproc.MessageContext;
import dev.extproc.PassthroughProcessor;
import dev.extproc.Processing;
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

class ExchangeTest {
  private static final ExtProcConfig CONFIG = ExtProcConfig.defaults();

  @Test
  void streamedPassThroughAnswersEveryMessageInOrderWithoutMutation() throws Exception {
    try (TestEnvoy envoy = new TestEnvoy(PassthroughProcessor.factory(), CONFIG)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false, ":path", "/"));
      assertThat(stream.next().getRequestHeaders().getResponse()).isEqualTo(CommonResponse.getDefaultInstance());
      stream.send(requestBody(bytes(1000, 1), false));
      stream.send(requestBody(ByteString.EMPTY, true));
      assertThat(stream.next().getRequestBody().getResponse()).isEqualTo(CommonResponse.getDefaultInstance());
      assertThat(stream.next().getRequestBody().getResponse()).isEqualTo(CommonResponse.getDefaultInstance());
      stream.send(responseHeaders(true, ":status", "200"));
      assertThat(stream.next().hasResponseHeaders()).isTrue();
      stream.halfClose();
      assertThat(stream.awaitStatus().getCode()).isEqualTo(Status.Code.OK);
      await().until(() -> envoy.service.stats().activeStreams() == 0);
      assertThat(envoy.service.stats().streamsCompleted()).isEqualTo(1);
      assertThat(envoy.service.stats().bytesHeld()).isZero();
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
    try (TestEnvoy envoy = new TestEnvoy(exchange -> upperOddDropEven, CONFIG)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.NONE), false));
      stream.next();
      stream.send(requestBody(ByteString.copyFromUtf8("abc"), false));
      stream.send(requestBody(ByteString.copyFromUtf8("def"), false));
      stream.send(requestBody(ByteString.EMPTY, true));
      assertThat(stream.next().getRequestBody().getResponse().getBodyMutation().getBody().toStringUtf8()).isEqualTo("ABC");
      assertThat(stream.next().getRequestBody().getResponse().getBodyMutation().getClearBody()).isTrue();
      assertThat(stream.next().getRequestBody().getResponse().getBodyMutation().getBody().toStringUtf8()).isEqualTo("!");
      stream.cancel();
    }
  }

  @Test
  void fullDuplexRechunksOutputAndEndsWithEndOfStream() throws Exception {
    ExtProcConfig config = CONFIG.withMaxChunkBytes(1000).withMaxPendingOutputBytes(4000);
    try (TestEnvoy envoy = new TestEnvoy(PassthroughProcessor.factory(), config)) {
      TestEnvoy.Stream stream = envoy.open();
      ByteString body = bytes(10_500, 7);
      stream.send(requestHeaders(modes(BodySendMode.FULL_DUPLEX_STREAMED, BodySendMode.NONE), false));
      stream.send(requestBody(body.substring(0, 6000), false));
      stream.send(requestBody(body.substring(6000), false));
      stream.send(requestBody(ByteString.EMPTY, true));
      assertThat(stream.next().hasRequestHeaders()).isTrue();
      ByteString received = ByteString.EMPTY;
      boolean end = false;
      int replies = 0;
      while (!end) {
        ProcessingResponse reply = stream.next();
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
      assertThat(stream.awaitStatus().getCode()).isEqualTo(Status.Code.OK);
      await().until(() -> envoy.service.stats().activeStreams() == 0);
      assertThat(envoy.service.stats().streamsCompleted()).isEqualTo(1);
    }
  }

  @Test
  void fullDuplexWithTrailersEndsWithTrailersReplyAndNoEndOfStreamChunk() throws Exception {
    try (TestEnvoy envoy = new TestEnvoy(PassthroughProcessor.factory(), CONFIG)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.FULL_DUPLEX_STREAMED, BodySendMode.NONE), false));
      stream.send(requestBody(ByteString.copyFromUtf8("hello"), false));
      stream.send(requestTrailers("x-checksum", "1"));
      assertThat(stream.next().hasRequestHeaders()).isTrue();
      StreamedBodyResponse chunk = stream.next().getRequestBody().getResponse().getBodyMutation().getStreamedResponse();
      assertThat(chunk.getBody().toStringUtf8()).isEqualTo("hello");
      assertThat(chunk.getEndOfStream()).isFalse();
      assertThat(stream.next().hasRequestTrailers()).isTrue();
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
    try (TestEnvoy envoy = new TestEnvoy(exchange -> slow, CONFIG)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.FULL_DUPLEX_STREAMED, BodySendMode.NONE), false));
      for (int i = 0; i < 5; i++) {
        stream.send(requestBody(bytes(100, i), i == 4));
      }
      assertThat(stream.next().hasRequestHeaders()).isTrue();
      await().until(() -> bodies.get() == 1);
      assertThat(stream.replies).isEmpty();
      assertThat(bodies.get()).isEqualTo(1);
      gate.complete(null);
      int received = 0;
      boolean end = false;
      while (!end) {
        StreamedBodyResponse chunk = stream.next().getRequestBody().getResponse().getBodyMutation().getStreamedResponse();
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
    try (TestEnvoy envoy = new TestEnvoy(exchange -> replace, CONFIG)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.BUFFERED, BodySendMode.NONE), false, "content-length", "3"));
      stream.next();
      stream.send(requestBody(ByteString.copyFromUtf8("abc"), true));
      CommonResponse reply = stream.next().getRequestBody().getResponse();
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
    try (TestEnvoy envoy = new TestEnvoy(exchange -> recorder, CONFIG)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.BUFFERED, BodySendMode.NONE), false));
      stream.send(requestBody(ByteString.copyFromUtf8("whole"), false));
      stream.send(requestTrailers("x-t", "1"));
      stream.next();
      assertThat(stream.next().getRequestBody().getResponse()).isEqualTo(CommonResponse.getDefaultInstance());
      assertThat(stream.next().getRequestTrailers().getHeaderMutation().getSetHeaders(0).getHeader().getKey())
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
    try (TestEnvoy envoy = new TestEnvoy(exchange -> inject, CONFIG)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), true, ":method", "GET"));
      CommonResponse reply = stream.next().getRequestHeaders().getResponse();
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
    try (TestEnvoy envoy = new TestEnvoy(exchange -> deny, CONFIG)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false));
      ProcessingResponse reply = stream.next();
      assertThat(reply.getImmediateResponse().getStatus().getCodeValue()).isEqualTo(403);
      assertThat(reply.getImmediateResponse().getBody().toStringUtf8()).isEqualTo("denied");
      assertThat(reply.getImmediateResponse().getHeaders().getSetHeaders(0).getHeader().getKey()).isEqualTo("x-why");
      assertThat(stream.awaitStatus().getCode()).isEqualTo(Status.Code.OK);
      await().until(() -> closes.get() == 1);
      assertThat(outcomes).containsExactly(ExchangeOutcome.IMMEDIATE_RESPONSE);
      assertThat(stream.replies).isEmpty();
      assertThat(envoy.service.stats().immediateResponses()).isEqualTo(1);
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
    try (TestEnvoy envoy = new TestEnvoy(exchange -> override, CONFIG.withModeOverrideAllowed(true))) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.NONE, BodySendMode.NONE), false));
      assertThat(stream.next().getModeOverride().getRequestBodyMode()).isEqualTo(BodySendMode.BUFFERED);
      stream.send(requestBody(ByteString.copyFromUtf8("now buffered"), true));
      assertThat(stream.next().hasRequestBody()).isTrue();
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
    try (TestEnvoy envoy = new TestEnvoy(PassthroughProcessor.factory(), CONFIG)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(ProcessingRequest.newBuilder(responseBody(ByteString.copyFromUtf8("x"), true))
          .setProtocolConfig(modes(BodySendMode.NONE, BodySendMode.STREAMED)).build());
      assertThat(stream.next().hasResponseBody()).isTrue();
      stream.cancel();
    }
  }

  @Test
  void oversizedMessageFailsOnlyItsStreamAndReleasesIt() throws Exception {
    ExtProcConfig small = CONFIG.withMaxChunkBytes(1024).withMaxPendingOutputBytes(1024)
        .withMaxBodyMessageBytes(1024);
    try (TestEnvoy envoy = new TestEnvoy(PassthroughProcessor.factory(), small)) {
      TestEnvoy.Stream other = envoy.open();
      other.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false));
      other.next();
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false));
      stream.next();
      stream.send(requestBody(bytes(small.maxInboundMessageBytes() + 10, 3), true));
      assertThat(stream.awaitStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      await().until(() -> envoy.service.stats().activeStreams() == 1);
      other.send(requestBody(ByteString.copyFromUtf8("fine"), true));
      assertThat(other.next().hasRequestBody()).isTrue();
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
    try (TestEnvoy envoy = new TestEnvoy(exchange -> broken, CONFIG)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false));
      stream.next();
      stream.send(requestBody(ByteString.copyFromUtf8("x"), true));
      Status status = stream.awaitStatus();
      assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
      assertThat(status.getDescription()).contains("onBody").contains("boom");
      await().until(() -> envoy.service.stats().streamsFailed() == 1);
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
    try (TestEnvoy envoy = new TestEnvoy(exchange -> broken, config)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false));
      stream.next();
      stream.send(requestBody(ByteString.copyFromUtf8("x"), true));
      assertThat(stream.next().getImmediateResponse().getStatus().getCodeValue()).isEqualTo(500);
      assertThat(stream.awaitStatus().getCode()).isEqualTo(Status.Code.OK);
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
    try (TestEnvoy envoy = new TestEnvoy(exchange -> wrong, CONFIG)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false));
      stream.next();
      stream.send(requestBody(ByteString.copyFromUtf8("x"), true));
      Status status = stream.awaitStatus();
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
    try (TestEnvoy envoy = new TestEnvoy(exchange -> stuck, CONFIG)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.FULL_DUPLEX_STREAMED, BodySendMode.STREAMED), false));
      stream.next();
      stream.send(requestBody(bytes(10_000, 1), false));
      await().until(() -> envoy.service.stats().bytesHeld() > 0);
      stream.cancel();
      await().until(() -> closes.get() == 1);
      assertThat(outcomes).containsExactly(ExchangeOutcome.CANCELLED);
      assertThat(envoy.service.stats().activeStreams()).isZero();
      assertThat(envoy.service.stats().bytesHeld()).isZero();
      assertThat(envoy.service.stats().streamsCancelled()).isEqualTo(1);
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
    try (TestEnvoy envoy = new TestEnvoy(exchange -> late, CONFIG)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false));
      stream.next();
      stream.send(requestBody(ByteString.copyFromUtf8("x"), false));
      stream.next();
      stream.send(requestTrailers("x-t", "1"));
      Status status = stream.awaitStatus();
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

  private static void assertLargeBodyPassesWithBoundedMemory(BodySendMode mode, int size) throws Exception {
    // A processor that re-creates every chunk, so no reply is a "no mutation" shortcut.
    ExchangeProcessor copy = new ExchangeProcessor() {
      @Override
      public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
        return ctx.write(ByteString.copyFrom(chunk.toByteArray()));
      }
    };
    try (TestEnvoy envoy = new TestEnvoy(exchange -> copy, CONFIG)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(mode, BodySendMode.NONE), false));
      assertThat(stream.next().hasRequestHeaders()).isTrue();
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
        while (stream.replies.size() > 0 || (mode == BodySendMode.STREAMED && receivedBytes < (long) (i + 1) * chunk.size())) {
          ProcessingResponse reply = stream.next();
          ByteString body = mode == BodySendMode.STREAMED
              ? reply.getRequestBody().getResponse().getBodyMutation().getBody()
              : reply.getRequestBody().getResponse().getBodyMutation().getStreamedResponse().getBody();
          received.update(body.asReadOnlyByteBuffer());
          receivedBytes += body.size();
        }
      }
      stream.send(requestBody(ByteString.EMPTY, true));
      while (!end) {
        ProcessingResponse reply = stream.next();
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
      await().until(() -> envoy.service.stats().activeStreams() == 0);
      assertThat(envoy.service.stats().peakBytesHeldPerStream())
          .isGreaterThan(0)
          .isLessThanOrEqualTo(CONFIG.maxBytesHeldPerStream());
      assertThat(envoy.service.stats().bytesHeld()).isZero();
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
    try (TestEnvoy envoy = new TestEnvoy(exchange -> generator, config)) {
      TestEnvoy.Stream stream = envoy.open(true);
      stream.request(1);
      stream.send(requestHeaders(modes(BodySendMode.FULL_DUPLEX_STREAMED, BodySendMode.NONE), false));
      stream.send(requestBody(ByteString.copyFromUtf8("go"), true));
      assertThat(stream.next().hasRequestHeaders()).isTrue();
      stream.request(1); // in-process, the server is "ready" only while the client has asked for replies
      ByteString first = stream.next().getRequestBody().getResponse().getBodyMutation().getStreamedResponse().getBody();
      // Envoy reads nothing more: the engine must stop at about the pending-output bound.
      await().until(() -> envoy.service.stats().bytesHeld() >= 128 * 1024);
      long heldWhileBlocked = envoy.service.stats().bytesHeld();
      assertThat(heldWhileBlocked).isLessThanOrEqualTo(config.maxPendingOutputBytes() + 16 * 1024 + 64 * 1024);
      long received = first.size();
      boolean end = false;
      while (!end) {
        stream.request(1);
        StreamedBodyResponse chunk = stream.next().getRequestBody().getResponse().getBodyMutation().getStreamedResponse();
        received += chunk.getBody().size();
        end = chunk.getEndOfStream();
      }
      assertThat(received).isEqualTo(total);
      assertThat(envoy.service.stats().peakBytesHeldPerStream()).isLessThanOrEqualTo(config.maxBytesHeldPerStream());
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
    try (TestEnvoy envoy = new TestEnvoy(exchange -> recorder, CONFIG)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.NONE, BodySendMode.NONE), false));
      stream.next();
      stream.send(responseHeaders(false, ":status", "200"));
      stream.next();
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
    try (TestEnvoy envoy = new TestEnvoy(exchange -> injector, CONFIG)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.NONE, BodySendMode.NONE), true));
      Status status = stream.awaitStatus();
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
    try (TestEnvoy envoy = new TestEnvoy(exchange -> override, CONFIG.withModeOverrideAllowed(true))) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.NONE).toBuilder()
          .setSendBodyWithoutWaitingForHeaderResponse(true).build(), false));
      assertThat(stream.next().hasModeOverride()).isFalse();
      assertThat(errors).singleElement().asString().contains("send_body_without_waiting_for_header_response");
      stream.cancel();
    }
  }

  @Test
  void fullDuplexWithHeadersSkippedStreamsFromTheFirstBodyMessage() throws Exception {
    try (TestEnvoy envoy = new TestEnvoy(PassthroughProcessor.factory(), CONFIG)) {
      TestEnvoy.Stream stream = envoy.open();
      stream.send(ProcessingRequest.newBuilder(responseBody(ByteString.copyFromUtf8("abc"), false))
          .setProtocolConfig(modes(BodySendMode.NONE, BodySendMode.FULL_DUPLEX_STREAMED)).build());
      stream.send(responseBody(ByteString.EMPTY, true));
      StreamedBodyResponse first = stream.next().getResponseBody().getResponse().getBodyMutation().getStreamedResponse();
      assertThat(first.getBody().toStringUtf8()).isEqualTo("abc");
      ProcessingResponse last = first.getEndOfStream() ? null : stream.next();
      if (last != null) {
        assertThat(last.getResponseBody().getResponse().getBodyMutation().getStreamedResponse().getEndOfStream()).isTrue();
      }
      stream.cancel();
    }
  }

  private static void assertProtocolError(List<ProcessingRequest> messages, Status.Code code, String rule) throws Exception {
    try (TestEnvoy envoy = new TestEnvoy(PassthroughProcessor.factory(), CONFIG)) {
      TestEnvoy.Stream bystander = envoy.open();
      bystander.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.STREAMED), false));
      bystander.next();
      TestEnvoy.Stream stream = envoy.open();
      for (ProcessingRequest message : messages) {
        stream.send(message);
      }
      Status status = stream.awaitStatus();
      assertThat(status.getCode()).isEqualTo(code);
      assertThat(status.getDescription()).contains(rule);
      await().until(() -> envoy.service.stats().protocolErrors() == 1 && envoy.service.stats().activeStreams() == 1);
      bystander.send(requestBody(ByteString.copyFromUtf8("ok"), true));
      assertThat(bystander.next().hasRequestBody()).isTrue();
      bystander.cancel();
    }
  }
}
