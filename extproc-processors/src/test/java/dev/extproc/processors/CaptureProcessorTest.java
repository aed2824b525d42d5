package dev.extproc.processors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.extproc.testkit.EnvoyMessages.modes;
import static dev.extproc.testkit.EnvoyMessages.requestBody;
import static dev.extproc.testkit.EnvoyMessages.requestHeaders;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.HttpHeaders;
import dev.extproc.testkit.EmbeddedStream;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
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
    EngineExchange exchange = new EngineExchange(capture, scheduler, mode, mode);

    EngineExchange.Result up = exchange.direction(Direction.REQUEST, HttpHeaders.empty(), Bodies.chunks(request, chunk));
    EngineExchange.Result down = exchange.direction(Direction.RESPONSE, HttpHeaders.empty(), Bodies.chunks(response, chunk));
    exchange.close();

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
    EngineExchange exchange = new EngineExchange(capture, scheduler, BodyMode.STREAMED, BodyMode.STREAMED);

    exchange.direction(Direction.REQUEST, HttpHeaders.empty(), List.of());
    exchange.direction(Direction.RESPONSE, HttpHeaders.empty(), List.of(ByteString.copyFromUtf8("x")));
    exchange.close();

    assertThat(Files.size(tmp.resolve(exchange.id() + ".request.body"))).isZero();
    assertThat(Files.readString(tmp.resolve(exchange.id() + ".response.body"))).isEqualTo("x");
  }

  @Test
  void abortMidBody_leavesOnlyThePartialFile_andNoOpenFile() throws Exception {
    CaptureProcessorFactory capture = CaptureProcessorFactory.create(tmp, io);
    EngineExchange exchange = new EngineExchange(capture, scheduler, BodyMode.STREAMED, BodyMode.NONE);
    EmbeddedStream stream = exchange.stream();

    stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.NONE), false));
    stream.awaitReply();
    stream.send(requestBody(Bodies.body(65_536, 3), false));
    stream.awaitReply();
    assertThat(capture.openFiles()).isEqualTo(1);
    stream.cancel();

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
    EngineExchange broken = new EngineExchange(capture, scheduler, BodyMode.STREAMED, BodyMode.NONE);

    EngineExchange.Result result =
        broken.direction(Direction.REQUEST, HttpHeaders.empty(), List.of(ByteString.copyFromUtf8("abc")));
    broken.close();

    assertThat(result.responded()).isTrue();
    assertThat(broken.responses).singleElement().satisfies(r -> {
      assertThat(r.getStatus().getCodeValue()).isEqualTo(500);
      assertThat(r.getBody().toStringUtf8()).contains("capture failed", broken.id(), "request body");
    });
    assertThat(capture.errors()).isEqualTo(1);

    Files.delete(dir);
    Files.createDirectory(dir);
    EngineExchange next = new EngineExchange(capture, scheduler, BodyMode.STREAMED, BodyMode.NONE);
    EngineExchange.Result ok =
        next.direction(Direction.REQUEST, HttpHeaders.empty(), List.of(ByteString.copyFromUtf8("abc")));
    next.close();

    assertThat(ok.responded()).isFalse();
    assertThat(Files.readString(dir.resolve(next.id() + ".request.body"))).isEqualTo("abc");
    await().atMost(Duration.ofSeconds(5)).until(() -> capture.openFiles() == 0);
  }

  @Test
  void failureAfterBytesWereForwarded_failsTheStage() throws Exception {
    Path dir = tmp.resolve("captures");
    CaptureProcessorFactory capture = CaptureProcessorFactory.create(dir, io);
    EngineExchange exchange = new EngineExchange(capture, scheduler, BodyMode.STREAMED, BodyMode.NONE);
    EmbeddedStream stream = exchange.stream();
    stream.send(requestHeaders(modes(BodySendMode.STREAMED, BodySendMode.NONE), false));
    stream.awaitReply();
    stream.send(requestBody("abc", false));
    stream.awaitReply();
    // The partial file vanishes with its directory: the rename at the end fails.
    Files.delete(dir.resolve(exchange.id() + ".request.body.partial"));

    stream.send(requestBody("", true)); // onEnd

    Status status = stream.awaitClose(); // the stage failed: the stream fails, no immediate response
    assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(status.getDescription()).contains("capture of the request body");
    assertThat(stream.poll()).isNull();
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
    EngineExchange exchange = new EngineExchange(capture, scheduler, BodyMode.FULL_DUPLEX_STREAMED, BodyMode.NONE);
    EmbeddedStream stream = exchange.stream();

    stream.send(requestHeaders(modes(BodySendMode.FULL_DUPLEX_STREAMED, BodySendMode.NONE), false));
    assertThat(stream.poll()).as("headers answered before the capture file is open").isNull();
    pending.poll().run();
    assertThat(stream.awaitReply().hasRequestHeaders()).isTrue();

    stream.send(requestBody("abc", false));
    assertThat(stream.poll()).as("output before the chunk was written to the file").isNull();
    pending.poll().run();
    assertThat(stream.awaitReply().getRequestBody().getResponse().getBodyMutation().getStreamedResponse().getBody().toStringUtf8())
        .isEqualTo("abc");

    stream.cancel();
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
