package dev.extproc.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExchangeOutcome;
import dev.extproc.ExtProcConfig;
import dev.extproc.HttpHeaders;
import dev.extproc.Processing;
import dev.extproc.testing.BodySource;
import dev.extproc.testing.Digest;
import dev.extproc.testing.Exchange;
import dev.extproc.testing.ExchangeResult;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.grpc.Status;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/**
 * One output budget for every mode (issue #8): a processor that waits for its write stages keeps
 * the stream within {@link ExtProcConfig#maxBytesHeldPerStream()} whatever it writes and when; one
 * that ignores them is failed with the rule named.
 */
class OutputBudgetTest {
  private static final int WRITE = 64 * 1024;
  private static final ByteString PIECE = ByteString.copyFrom(new byte[WRITE]);

  /** Writes {@code count} copies of {@link #PIECE}, waiting for each write's stage. */
  static CompletionStage<Void> writeWaiting(DirectionContext ctx, int count) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    new Object() {
      int written;

      void next() {
        while (written < count) {
          CompletableFuture<Void> stage = ctx.write(PIECE).toCompletableFuture();
          written++;
          if (!stage.isDone() || stage.isCompletedExceptionally()) {
            stage.whenComplete((v, error) -> {
              if (error != null) {
                done.completeExceptionally(error);
              } else {
                next();
              }
            });
            return;
          }
        }
        done.complete(null);
      }
    }.next();
    return done;
  }

  /** Prepends {@code count} × 64 KiB in onHeaders, waiting on each write; passes the body through. */
  static final class Prefixer implements DirectionProcessor {
    private final int count;

    Prefixer(int count) {
      this.count = count;
    }

    @Override
    public CompletionStage<Void> onHeaders(DirectionContext ctx, HttpHeaders headers, boolean endOfStream) {
      ctx.setHeader("x-prefixed", "yes"); // before the output: goes into the (committed) header reply
      return writeWaiting(ctx, count);
    }
  }

  @Test
  void fullDuplex_48MiBWrittenInOnHeaders_waitingOnEachStage_staysWithinTheBound() throws Exception {
    int count = 48 * 16; // 48 MiB in 64 KiB writes
    BodySource input = BodySource.random(300_000, 8);
    try (Engine engine = Engine.start(exchange -> ExchangeHandler.of(new Prefixer(count), new Prefixer(0)))) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
          .requestBody(input).chunkSize(16 * 1024).messageTimeout(Duration.ofSeconds(60)).build());

      assertThat(result.status()).as(result.grpcStatus().toString()).isEqualTo(200);
      assertThat(result.upstream().headers().get("x-prefixed")).isEqualTo("yes");
      assertThat(result.upstream().body().digest()).isEqualTo(prefixedDigest(count, input));
      engine.awaitIdle();
      // The issue measured 50,331,650 bytes held against a bound of 35,717,120.
      assertThat(engine.stats().peakBytesHeldPerStream())
          .isLessThanOrEqualTo(engine.config().maxBytesHeldPerStream())
          .isLessThanOrEqualTo(2L * engine.config().maxPendingOutputBytes() + 2L * WRITE);
      assertThat(engine.stats().streamsEnded(ExchangeOutcome.COMPLETED)).isEqualTo(1);
    }
  }

  @Test
  void fullDuplex_headerMutationAfterTheCommit_isRefusedWithTheRule() {
    CompletableFuture<Throwable> refused = new CompletableFuture<>();
    DirectionProcessor late = new DirectionProcessor() {
      @Override
      public CompletionStage<Void> onHeaders(DirectionContext ctx, HttpHeaders headers, boolean endOfStream) {
        return writeWaiting(ctx, 32).thenRun(() -> {
          try {
            ctx.setHeader("x-late", "1");
            refused.complete(null);
          } catch (IllegalStateException e) {
            refused.complete(e);
          }
        });
      }
    };
    try (Engine engine = Engine.start(exchange -> ExchangeHandler.of(late, new Prefixer(0)))) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
          .requestBody(BodySource.of("input")).build());

      assertThat(result.status()).isEqualTo(200);
      assertThat(refused).isCompleted();
      assertThat(refused.join()).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("headers already committed: body output exceeded the budget in onHeaders");
    }
  }

  @Test
  void fullDuplex_processorIgnoringItsStages_failsWithTheRuleNamed_nothingHung() {
    DirectionProcessor flooder = new DirectionProcessor() {
      @Override
      public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
        for (int i = 0; i < 80; i++) {
          ctx.write(PIECE); // 5 MiB, stages ignored
        }
        return Processing.done();
      }
    };
    try (Engine engine = Engine.start(exchange -> ExchangeHandler.of(flooder, new Prefixer(0)))) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
          .requestBody(BodySource.of("go")).build());

      assertThat(result.grpcStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
      assertThat(result.grpcStatus().getDescription())
          .contains("3 × maxPendingOutputBytes").contains("rule: wait for each write's stage").contains("request");
      engine.awaitIdle();
      assertThat(engine.stats().streamsEnded(ExchangeOutcome.PROCESSOR_ERROR)).isEqualTo(1);
      assertThat(engine.stats().peakBytesHeldPerStream()).isLessThanOrEqualTo(engine.config().maxBytesHeldPerStream());
    }
  }

  @Test
  void fullDuplex_oneWriteOverTheBudget_isRefused() {
    CompletableFuture<Throwable> refused = new CompletableFuture<>();
    DirectionProcessor big = new DirectionProcessor() {
      @Override
      public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
        assertThatThrownBy(() -> ctx.write(ByteString.copyFrom(new byte[2 * 1024 * 1024])))
            .isInstanceOfSatisfying(IllegalArgumentException.class, refused::complete)
            .hasMessageContaining("maxPendingOutputBytes");
        return ctx.passThrough(chunk);
      }
    };
    try (Engine engine = Engine.start(exchange -> ExchangeHandler.of(big, new Prefixer(0)))) {
      ExchangeResult result = engine.run(Exchange.builder().bodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
          .requestBody(BodySource.of("abc")).build());

      assertThat(result.status()).isEqualTo(200);
      assertThat(result.upstream().body().utf8()).isEqualTo("abc");
      assertThat(refused).isCompleted();
    }
  }

  private static Digest prefixedDigest(int count, BodySource input) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    byte[] piece = PIECE.toByteArray();
    for (int i = 0; i < count; i++) {
      sha.update(piece);
    }
    try (BodySource.Reader reader = input.open()) {
      for (ByteString chunk = reader.read(65536); !chunk.isEmpty(); chunk = reader.read(65536)) {
        sha.update(chunk.asReadOnlyByteBuffer());
      }
    }
    return new Digest((long) count * WRITE + input.length(), HexFormat.of().formatHex(sha.digest()));
  }
}
