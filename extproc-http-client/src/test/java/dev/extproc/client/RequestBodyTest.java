package dev.extproc.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RequestBodyTest {

  private static final ByteBufAllocator ALLOC = new UnpooledByteBufAllocator(false);

  private static byte[] readAll(RequestBody body, int chunk) throws Exception {
    byte[] all = new byte[(int) body.length()];
    try (RequestBody.Reader reader = body.open()) {
      for (int offset = 0; offset < all.length; offset += chunk) {
        int n = Math.min(chunk, all.length - offset);
        ByteBuf buf = reader.read(ALLOC, offset, n);
        try {
          assertThat(buf.readableBytes()).isEqualTo(n);
          buf.readBytes(all, offset, n);
        } finally {
          buf.release();
        }
      }
    }
    return all;
  }

  @Test
  void generatedBody_isTheSameWhateverTheChunking_andItsDigestIsKnownAhead() throws Exception {
    GeneratedBody body = GeneratedBody.ofLength(100_003);

    byte[] bySmall = readAll(body, 7);
    byte[] byLarge = readAll(body, 65_536);

    assertThat(bySmall).isEqualTo(byLarge);
    assertThat(BodyDigest.Result.of(bySmall)).isEqualTo(body.expectedDigest());
    assertThat(GeneratedBody.ofLength(100_003)).isEqualTo(body);
    assertThat(readAll(GeneratedBody.ofLength(100_004), 4096)).isNotEqualTo(bySmall);
  }

  @Test
  void fileBody_readsTheFileOrAPrefix(@TempDir Path dir) throws Exception {
    byte[] content = readAll(new GeneratedBody(3, 10_000), 1000);
    Path file = Files.write(dir.resolve("body.bin"), content);

    assertThat(readAll(RequestBody.ofFile(file), 4096)).isEqualTo(content);
    assertThat(readAll(RequestBody.ofFile(file, 10), 3)).isEqualTo(java.util.Arrays.copyOf(content, 10));
  }

  @Test
  void fileBody_shorterThanAnnounced_failsWithTheFileAndOffset(@TempDir Path dir) throws Exception {
    Path file = Files.write(dir.resolve("short.bin"), new byte[5]);

    try (RequestBody.Reader reader = RequestBody.ofFile(file, 10).open()) {
      assertThatThrownBy(() -> reader.read(ALLOC, 0, 10))
          .hasMessage(file + " ended at 5 B (expected: 10 B)");
    }
  }

  @Test
  void request_rejectsBadValuesWithTheRule() {
    RequestBody ten = RequestBody.ofBytes(new byte[10]);

    assertThatThrownBy(() -> Request.post("no-slash", ten)).hasMessage("path: no-slash (expected: starting with /)");
    assertThatThrownBy(() -> Request.post("/x", ten).withTrailers(Map.of("x-t", "1")))
        .hasMessage("trailers: [x-t] (expected: framing CHUNKED)");
    assertThatThrownBy(() -> Request.post("/x", ten).abortingAfter(11))
        .hasMessage("abortAfterBytes: 11 (expected: within [0, 10])");
    assertThatThrownBy(() -> Request.post("/x", ten).withGate(new UploadGate(11)))
        .hasMessage("gate.pauseAt: 11 (expected: <= body length 10)");
    assertThatThrownBy(() -> Request.post("/x", ten).withChunkBytes(0)).hasMessage("chunkBytes: 0 (expected: >= 1)");
  }

  @Test
  void request_lowerCasesHeaderNames_andKeepsTheirOrder() {
    Request request = Request.post("/x", RequestBody.empty(), BodyFraming.CHUNKED)
        .withHeader("X-B", "2").withHeader("x-a", "1").withHeader("x-b", "3")
        .withTimeout(Duration.ofSeconds(3));

    assertThat(request.headers()).containsExactly(Map.entry("x-b", "3"), Map.entry("x-a", "1"));
    assertThat(request.timeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(request.bytesToSend()).isZero();
  }
}
