package dev.extproc.transforms;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.extproc.BodyMode;
import dev.extproc.Direction;
import dev.extproc.HttpHeaders;
import dev.extproc.ImmediateResponse;
import dev.extproc.testkit.RecordingDirectionContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LimitAndWholeBodyTest {
  @TempDir Path temp;
  private final ExecutorService io = Executors.newSingleThreadExecutor();

  @AfterEach
  void stop() {
    io.shutdownNow();
  }

  private static List<ByteString> chunks(int count, int size) {
    return Chunkings.fixed(ByteString.copyFrom(new byte[count * size]), size);
  }

  @Test
  void limitRefusesByContentLengthBeforeAnyByteAndMidStreamWhenTheBodyGrows() {
    LimitProcessorFactory factory = new LimitProcessorFactory(1000, 500);
    RecordingDirectionContext byLength = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
    byLength.drive(factory.newProcessor(null).request(), HttpHeaders.of("content-length", "1001"), chunks(1, 1001));
    assertThat(byLength.responses()).extracting(ImmediateResponse::status).containsExactly(413);
    assertThat(byLength.responses().get(0).body().toStringUtf8())
        .isEqualTo("limit: request content-length 1001 exceeds --max-request-body 1000\n");
    assertThat(byLength.events()).noneMatch(event -> event.startsWith("write:"));

    RecordingDirectionContext growing = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
    growing.drive(factory.newProcessor(null).request(), HttpHeaders.empty(), chunks(5, 300));
    assertThat(growing.responses()).extracting(ImmediateResponse::status).containsExactly(413);
    assertThat(growing.output().size()).isEqualTo(900);

    RecordingDirectionContext response = new RecordingDirectionContext(Direction.RESPONSE, BodyMode.STREAMED);
    Throwable failure = response.drive(factory.newProcessor(null).response(), HttpHeaders.empty(), chunks(2, 300));
    assertThat(failure).hasMessageContaining("limit: response body exceeds --max-response-body 500 (600 bytes so far)");

    RecordingDirectionContext within = new RecordingDirectionContext(Direction.RESPONSE, BodyMode.STREAMED);
    assertThat(within.drive(factory.newProcessor(null).response(), HttpHeaders.of("content-length", "500"), chunks(1, 500))).isNull();
    assertThat(within.output().size()).isEqualTo(500);
  }

  private WholeBodyProcessor whole(long threshold, long max, Path dir) {
    return new WholeBodyProcessor("whole-body", new WholeBodyLimits(threshold, max, dir), io,
        (body, headers) -> WholeBody.of(ByteString.copyFromUtf8("size=" + body.size() + " file=" + (body.file() != null))));
  }

  private long files() throws IOException {
    try (Stream<Path> list = Files.list(temp)) {
      return list.count();
    }
  }

  @Test
  void wholeBodyInMemoryAndSpilledIsHandedOverCompleteAndLeavesNoFile() throws IOException {
    RecordingDirectionContext small = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
    assertThat(small.drive(whole(1000, 10_000, temp), HttpHeaders.empty(), chunks(3, 100))).isNull();
    assertThat(small.output().toStringUtf8()).isEqualTo("size=300 file=false");

    RecordingDirectionContext spilled = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
    assertThat(spilled.drive(whole(1000, 10_000, temp), HttpHeaders.empty(), chunks(30, 100))).isNull();
    assertThat(spilled.output().toStringUtf8()).isEqualTo("size=3000 file=true");
    assertThat(files()).isZero();

    RecordingDirectionContext same = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
    WholeBodyProcessor identity = new WholeBodyProcessor("whole-body", new WholeBodyLimits(10, 1 << 20, temp), io,
        (body, headers) -> body);
    ByteString input = ByteString.copyFromUtf8("0123456789".repeat(10_000));
    assertThat(same.drive(identity, HttpHeaders.empty(), Chunkings.fixed(input, 1000))).isNull();
    assertThat(same.output()).isEqualTo(input);
    assertThat(files()).isZero();

    RecordingDirectionContext result = new RecordingDirectionContext(Direction.RESPONSE, BodyMode.STREAMED);
    WholeBodyProcessor reversed = new WholeBodyProcessor("whole-body", new WholeBodyLimits(10, 1 << 20, temp), io,
        (body, headers) -> {
          Path out = Files.createTempFile(temp, "result-", ".body");
          Files.write(out, new StringBuilder(body.bytes().toStringUtf8()).reverse().toString().getBytes());
          return WholeBody.ofFile(out);
        });
    String text = "abcdefghij".repeat(20_000);
    assertThat(result.drive(reversed, HttpHeaders.empty(), Chunkings.fixed(ByteString.copyFromUtf8(text), 777))).isNull();
    assertThat(result.output().toStringUtf8()).isEqualTo(new StringBuilder(text).reverse().toString());
    assertThat(files()).isZero();
  }

  @Test
  void overTheLimitIs413AndAFullTempDirIs507WithNothingLeft() throws IOException {
    RecordingDirectionContext byLength = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
    byLength.drive(whole(100, 1000, temp), HttpHeaders.of("content-length", "5000"), chunks(1, 5000));
    assertThat(byLength.responses()).extracting(ImmediateResponse::status).containsExactly(413);

    RecordingDirectionContext growing = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
    WholeBodyProcessor processor = whole(100, 1000, temp);
    growing.drive(processor, HttpHeaders.empty(), chunks(20, 100));
    assertThat(growing.responses()).extracting(ImmediateResponse::status).containsExactly(413);
    assertThat(growing.responses().get(0).body().toStringUtf8()).contains("exceeds the whole-body limit of 1000 bytes");
    assertThat(files()).isZero();

    // A temp dir that cannot take a file (root ignores permissions, so: a path under a regular file).
    Path readOnly = Files.createFile(temp.resolve("not-a-dir")).resolve("spill");
    RecordingDirectionContext full = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
    full.drive(whole(100, 100_000, readOnly), HttpHeaders.empty(), chunks(20, 100));
    assertThat(full.responses()).extracting(ImmediateResponse::status).containsExactly(507);
    assertThat(full.responses().get(0).body().toStringUtf8()).startsWith("whole-body: cannot spill the body to " + readOnly);
    assertThat(files()).isEqualTo(1); // only not-a-dir itself
    Files.delete(temp.resolve("not-a-dir"));

    RecordingDirectionContext abandoned = new RecordingDirectionContext(Direction.REQUEST, BodyMode.STREAMED);
    WholeBodyProcessor mid = whole(100, 100_000, temp);
    mid.onHeaders(abandoned, HttpHeaders.empty(), false).toCompletableFuture().join(); // then the exchange ends mid-body
    mid.onBody(abandoned, ByteString.copyFrom(new byte[500]), false).toCompletableFuture().join();
    assertThat(files()).isEqualTo(1);
    mid.close();
    assertThat(files()).isZero();
  }
}
