package dev.extproc.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The direction-context double: a DirectionProcessor unit-tested without an engine. */
class RecordingDirectionContextTest {

  /** Upper-cases the body, marks the headers, and answers 413 beyond 5 bytes after a 1 s timer. */
  private static final class Upper implements DirectionProcessor {
    private long seen;

    @Override
    public CompletionStage<Void> onHeaders(DirectionContext ctx, HttpHeaders headers, boolean endOfStream) {
      ctx.setHeader("x-upper", "yes");
      ctx.removeHeader("content-length");
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
      seen += chunk.size();
      if (seen > 5) {
        ctx.exchange().scheduler().schedule(() -> ctx.exchange().respond(ImmediateResponse.of(413)), 1, TimeUnit.SECONDS);
      }
      return ctx.write(ByteString.copyFromUtf8(chunk.toStringUtf8().toUpperCase(Locale.ROOT)));
    }
  }

  @Test
  void recordsWhatAProcessorDoes_inOrder() {
    RecordingDirectionContext ctx = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
    Upper upper = new Upper();

    upper.onHeaders(ctx, HttpHeaders.empty(), false);
    upper.onBody(ctx, ByteString.copyFromUtf8("abc"), false);
    upper.onBody(ctx, ByteString.copyFromUtf8("def"), true);

    assertThat(ctx.output().toStringUtf8()).isEqualTo("ABCDEF");
    assertThat(ctx.events()).containsExactly("set:x-upper=yes", "remove:content-length", "write:ABC", "write:DEF");
    assertThat(ctx.direction()).isEqualTo(Direction.REQUEST);
    assertThat(ctx.bodyMode()).isEqualTo(BodyMode.STREAMED);
  }

  @Test
  void theExchangesTimersRunOnTheManualClock_andItsOperationsAreRecorded() {
    RecordingDirectionContext ctx = new RecordingDirectionContext(Direction.RESPONSE, BodyMode.FULL_DUPLEX_STREAMED);
    new Upper().onBody(ctx, ByteString.copyFromUtf8("too long"), true);

    ctx.scheduler().advance(Duration.ofMillis(999));
    assertThat(ctx.responses()).isEmpty();
    ctx.scheduler().advance(Duration.ofMillis(1));
    assertThat(ctx.responses()).extracting(ImmediateResponse::status).containsExactly(413);

    ctx.exchange().putMetadata("extproc.test", "bytes", 8);
    ctx.exchange().setDynamicMetadata(Struct.getDefaultInstance());
    ctx.exchange().overrideMode(ProcessingMode.getDefaultInstance());
    assertThat(ctx.events()).containsExactly(
        "write:TOO LONG", "respond:413", "metadata:extproc.test.bytes=8", "metadata", "override");
    assertThat(ctx.exchange().id()).isEqualTo("test-exchange");
    assertThat(ctx.exchange().initialBodyMode(Direction.REQUEST)).isEqualTo(BodyMode.FULL_DUPLEX_STREAMED);
  }

  @Test
  void writeStagesAreTheTestsToComplete() {
    CompletableFuture<Void> room = new CompletableFuture<>();
    RecordingDirectionContext ctx =
        new RecordingDirectionContext(Direction.REQUEST, BodyMode.FULL_DUPLEX_STREAMED).writeStages(() -> room);

    CompletionStage<Void> written = ctx.write(ByteString.copyFromUtf8("x"));

    assertThat(written.toCompletableFuture()).isNotDone();
    room.complete(null);
    assertThat(written.toCompletableFuture()).isCompleted();
  }

  @Test
  void driveRunsAWholeMessage_andStopsAtAnImmediateResponse() {
    RecordingDirectionContext whole = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
    DirectionProcessor endMarker = new DirectionProcessor() {
      @Override
      public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
        return ctx.write(ByteString.copyFromUtf8(chunk.toStringUtf8() + (last ? "|last" : "") + ";"));
      }

      @Override
      public CompletionStage<Void> onEnd(DirectionContext ctx) {
        return ctx.write(ByteString.copyFromUtf8("end"));
      }
    };
    assertThat(whole.drive(endMarker, HttpHeaders.empty(), List.of(ByteString.copyFromUtf8("a"), ByteString.copyFromUtf8("b"))))
        .isNull();
    assertThat(whole.output().toStringUtf8()).isEqualTo("a;b|last;end");

    RecordingDirectionContext refused = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
    DirectionProcessor refuseFirst = new DirectionProcessor() {
      @Override
      public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
        ctx.exchange().respond(ImmediateResponse.of(413));
        return ctx.write(chunk);
      }

      @Override
      public CompletionStage<Void> onEnd(DirectionContext ctx) {
        throw new AssertionError("onEnd after an immediate response");
      }
    };
    assertThat(refused.drive(refuseFirst, HttpHeaders.empty(), List.of(ByteString.copyFromUtf8("a"), ByteString.copyFromUtf8("b"))))
        .isNull();
    assertThat(refused.events()).containsExactly("respond:413", "write:a");
  }

  @Test
  void driveReturnsTheProcessorsFailure_unwrapped() {
    RecordingDirectionContext ctx = new RecordingDirectionContext(Direction.RESPONSE, BodyMode.STREAMED);
    IllegalStateException boom = new IllegalStateException("boom");
    DirectionProcessor failing = new DirectionProcessor() {
      @Override
      public CompletionStage<Void> onBody(DirectionContext c, ByteString chunk, boolean last) {
        return CompletableFuture.failedFuture(boom);
      }
    };

    assertThat(ctx.drive(failing, HttpHeaders.empty(), List.of(ByteString.copyFromUtf8("x")))).isSameAs(boom);
  }

  @Test
  void metadataByNamespace_lastPutWins() {
    RecordingDirectionContext ctx = new RecordingDirectionContext(Direction.RESPONSE, BodyMode.STREAMED);
    ctx.exchange().putMetadata("extproc.test", "count", 1L);
    ctx.exchange().putMetadata("extproc.other", "name", "x");
    ctx.exchange().putMetadata("extproc.test", "count", 2L);
    ctx.exchange().putMetadata("extproc.test", "gone", null);

    assertThat(ctx.metadata("extproc.test")).containsExactly(entry("count", 2L), entry("gone", null));
    assertThat(ctx.metadata("extproc.other")).containsExactly(entry("name", "x"));
    assertThat(ctx.metadata("extproc.none")).isEmpty();
  }
}
