package dev.extproc.processors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.ExchangeOutcome;
import dev.extproc.HttpHeaders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CaptureProcessorTest {
  @TempDir Path tmp;
  private final ExecutorService io = FileIo.newExecutor("test-io", 2);
  private final ScheduledExecutorService scheduler = new ScheduledThreadPoolExecutor(1);

  @AfterEach
  void stop() throws Exception {
    io.shutdownNow();
    scheduler.shutdownNow();
    assertThat(io.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  private static List<Path> files(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  @ParameterizedTest
  @EnumSource(value = BodyMode.class, names = {"STREAMED", "FULL_DUPLEX_STREAMED", "BUFFERED"})
  void bothDirections_areCapturedByteExact_andPassThroughUnchanged(BodyMode mode) throws Exception {
    CaptureProcessorFactory capture = CaptureProcessorFactory.create(tmp.resolve("captures"), io);
    ByteString request = Bodies.body(200_000, 1);
    ByteString response = Bodies.body(70_001, 2);
    int chunk = mode == BodyMode.BUFFERED ? Integer.MAX_VALUE : 16_384;
    TestExchange exchange = new TestExchange(capture, scheduler);

    TestExchange.Result up = exchange.direction(Direction.REQUEST, mode, HttpHeaders.empty(), Bodies.chunks(request, chunk));
    TestExchange.Result down = exchange.direction(Direction.RESPONSE, mode, HttpHeaders.empty(), Bodies.chunks(response, chunk));
    exchange.close(ExchangeOutcome.COMPLETED);

    assertThat(up.body()).isEqualTo(request);
    assertThat(down.body()).isEqualTo(response);
    Path dir = capture.dir();
    assertThat(Files.readAllBytes(dir.resolve(exchange.id() + ".request.body"))).isEqualTo(request.toByteArray());
    assertThat(Files.readAllBytes(dir.resolve(exchange.id() + ".response.body"))).isEqualTo(response.toByteArray());
    assertThat(files(dir)).hasSize(2);
    await().atMost(Duration.ofSeconds(5)).until(() -> capture.openFiles() == 0);
    assertThat(capture.filesCompleted()).isEqualTo(2);
    assertThat(capture.partialFiles()).isZero();
    assertThat(capture.errors()).isZero();
  }

  @Test
  void emptyAndOneByteBodies_giveEmptyAndOneByteFiles() throws Exception {
    CaptureProcessorFactory capture = CaptureProcessorFactory.create(tmp, io);
    TestExchange exchange = new TestExchange(capture, scheduler);

    exchange.direction(Direction.REQUEST, BodyMode.STREAMED, HttpHeaders.empty(), List.of());
    exchange.direction(Direction.RESPONSE, BodyMode.STREAMED, HttpHeaders.empty(), List.of(ByteString.copyFromUtf8("x")));
    exchange.close(ExchangeOutcome.COMPLETED);

    assertThat(Files.size(tmp.resolve(exchange.id() + ".request.body"))).isZero();
    assertThat(Files.readString(tmp.resolve(exchange.id() + ".response.body"))).isEqualTo("x");
  }

  @Test
  void abortMidBody_leavesOnlyThePartialFile_andNoOpenFile() throws Exception {
    CaptureProcessorFactory capture = CaptureProcessorFactory.create(tmp, io);
    TestExchange exchange = new TestExchange(capture, scheduler);
    TestExchange.Context ctx = exchange.context(Direction.REQUEST, BodyMode.STREAMED);

    TestExchange.await(exchange.processor().onHeaders(ctx, HttpHeaders.empty(), false));
    TestExchange.await(exchange.processor().onBody(ctx, Bodies.body(65_536, 3)));
    assertThat(capture.openFiles()).isEqualTo(1);
    exchange.close(ExchangeOutcome.CANCELLED);

    await().atMost(Duration.ofSeconds(5)).until(() -> capture.openFiles() == 0);
    assertThat(files(tmp)).containsExactly(tmp.toRealPath().resolve(exchange.id() + ".request.body.partial"));
    assertThat(Files.size(tmp.resolve(exchange.id() + ".request.body.partial"))).isEqualTo(65_536);
    assertThat(capture.partialFiles()).isEqualTo(1);
    assertThat(capture.filesCompleted()).isZero();
  }

  @Test
  void directoryUnusable_respondsWith500_andTheNextExchangeWorks() throws Exception {
    Path dir = tmp.resolve("captures");
    CaptureProcessorFactory capture = CaptureProcessorFactory.create(dir, io);
    // Tests run as root, so permissions cannot make a directory unwritable: a regular file in its place can (ENOTDIR).
    Files.delete(dir);
    Files.writeString(dir, "not a directory");
    TestExchange broken = new TestExchange(capture, scheduler);

    TestExchange.Result result =
        broken.direction(Direction.REQUEST, BodyMode.STREAMED, HttpHeaders.empty(), List.of(ByteString.copyFromUtf8("abc")));
    broken.close(ExchangeOutcome.IMMEDIATE_RESPONSE);

    assertThat(result.responded()).isTrue();
    assertThat(broken.responses).singleElement().satisfies(r -> {
      assertThat(r.status()).isEqualTo(500);
      assertThat(r.body().toStringUtf8()).contains("capture failed", broken.id(), "request body");
    });
    assertThat(capture.errors()).isEqualTo(1);

    Files.delete(dir);
    Files.createDirectory(dir);
    TestExchange next = new TestExchange(capture, scheduler);
    TestExchange.Result ok =
        next.direction(Direction.REQUEST, BodyMode.STREAMED, HttpHeaders.empty(), List.of(ByteString.copyFromUtf8("abc")));
    next.close(ExchangeOutcome.COMPLETED);

    assertThat(ok.responded()).isFalse();
    assertThat(Files.readString(dir.resolve(next.id() + ".request.body"))).isEqualTo("abc");
    await().atMost(Duration.ofSeconds(5)).until(() -> capture.openFiles() == 0);
  }

  @Test
  void failureAfterBytesWereForwarded_failsTheStage() throws Exception {
    Path dir = tmp.resolve("captures");
    CaptureProcessorFactory capture = CaptureProcessorFactory.create(dir, io);
    TestExchange exchange = new TestExchange(capture, scheduler);
    TestExchange.Context ctx = exchange.context(Direction.REQUEST, BodyMode.STREAMED);
    TestExchange.await(exchange.processor().onHeaders(ctx, HttpHeaders.empty(), false));
    TestExchange.await(exchange.processor().onBody(ctx, ByteString.copyFromUtf8("abc")));
    // The partial file vanishes with its directory: the rename at the end fails.
    Files.delete(dir.resolve(exchange.id() + ".request.body.partial"));

    CompletionStage<Void> end = exchange.processor().onEnd(ctx);

    assertThatThrownBy(() -> TestExchange.await(end)).hasMessageContaining("capture of the request body");
    assertThat(ctx.responded).isFalse();
    exchange.close(ExchangeOutcome.PROCESSOR_ERROR);
    await().atMost(Duration.ofSeconds(5)).until(() -> capture.openFiles() == 0);
    assertThat(capture.errors()).isEqualTo(1);
  }

  @Test
  void missingDirectory_isCreated_andAFileInItsPlaceIsRefused() throws Exception {
    assertThat(CaptureProcessorFactory.create(tmp.resolve("a/b"), io).dir()).isDirectory();
    Path file = Files.writeString(tmp.resolve("file"), "x");
    assertThatThrownBy(() -> CaptureProcessorFactory.create(file.resolve("sub"), io))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: a directory");
  }

  @Test
  void eventCompletesOnlyWhenItsWriteIsDone() throws Exception {
    Queue<Runnable> pending = new ArrayDeque<>();
    Executor manual = pending::add;
    CaptureProcessorFactory capture = CaptureProcessorFactory.create(tmp, manual);
    TestExchange exchange = new TestExchange(capture, scheduler);
    TestExchange.Context ctx = exchange.context(Direction.REQUEST, BodyMode.FULL_DUPLEX_STREAMED);

    CompletionStage<Void> headers = exchange.processor().onHeaders(ctx, HttpHeaders.empty(), false);
    assertThat(headers.toCompletableFuture()).isNotDone();
    pending.poll().run();
    assertThat(headers.toCompletableFuture()).isCompleted();

    CompletionStage<Void> body = exchange.processor().onBody(ctx, ByteString.copyFromUtf8("abc"));
    assertThat(body.toCompletableFuture()).isNotDone();
    assertThat(ctx.take().isEmpty()).isTrue();
    pending.poll().run();
    assertThat(body.toCompletableFuture()).isCompleted();
    assertThat(ctx.take().toStringUtf8()).isEqualTo("abc");

    exchange.close(ExchangeOutcome.CANCELLED);
    while (!pending.isEmpty()) {
      pending.poll().run();
    }
    assertThat(capture.openFiles()).isZero();
  }

  @Test
  void gauges_haveTheContractNames() {
    assertThat(CaptureProcessorFactory.create(tmp, io).gauges())
        .containsOnlyKeys("capture_open_files", "capture_files_completed", "capture_files_partial", "capture_errors");
  }
}
