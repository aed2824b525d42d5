package dev.extproc.transforms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class ContentCodingTest {

  static ByteString text(int size, long seed) {
    Random random = new Random(seed);
    byte[] bytes = new byte[size];
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) ("abcdefgh 0123456789\n".charAt(random.nextInt(20)));
    }
    return ByteString.copyFrom(bytes);
  }

  static ByteString gzip(ByteString plain) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
      plain.writeTo(out);
    }
    return ByteString.copyFrom(bytes.toByteArray());
  }

  static ByteString zlib(ByteString plain) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DeflaterOutputStream out = new DeflaterOutputStream(bytes)) {
      plain.writeTo(out);
    }
    return ByteString.copyFrom(bytes.toByteArray());
  }

  @Test
  void decodesGzipAndDeflateAtAnyChunking() throws IOException {
    ByteString plain = text(300_000, 1);
    Random random = new Random(7);
    for (ContentCoding coding : List.of(ContentCoding.GZIP, ContentCoding.DEFLATE)) {
      ByteString encoded = coding == ContentCoding.GZIP ? gzip(plain) : zlib(plain);
      for (int maxChunk : new int[] {1, 100, 64 * 1024, 1024 * 1024}) {
        List<ByteString> chunks = maxChunk == 1 ? Chunkings.fixed(encoded, 1) : Chunkings.random(encoded, random, maxChunk);
        ByteString out = Chunkings.run(new InflatingDecoder(coding, DecodeLimits.DEFAULT), chunks);
        assertThat(out).as("%s, chunks up to %d B", coding, maxChunk).isEqualTo(plain);
      }
    }
  }

  @Test
  void decodesConcatenatedGzipMembersAndEmptyBodies() throws IOException {
    ByteString a = text(1000, 2);
    ByteString b = text(2000, 3);
    ByteString both = gzip(a).concat(gzip(b));
    assertThat(Chunkings.run(new InflatingDecoder(ContentCoding.GZIP, DecodeLimits.DEFAULT), Chunkings.fixed(both, 7)))
        .isEqualTo(a.concat(b));
    assertThat(Chunkings.run(new InflatingDecoder(ContentCoding.GZIP, DecodeLimits.DEFAULT), List.of(gzip(ByteString.EMPTY))))
        .isEmpty();
  }

  @Test
  void encodesWhatStandardDecodersRead() throws IOException {
    ByteString plain = text(500_000, 4);
    ByteString encoded = Chunkings.run(new DeflatingEncoder(ContentCoding.GZIP, 6), Chunkings.random(plain, new Random(5), 100_000));
    try (GZIPInputStream in = new GZIPInputStream(encoded.newInput())) {
      assertThat(ByteString.readFrom(in)).isEqualTo(plain);
    }
    ByteString deflated = Chunkings.run(new DeflatingEncoder(ContentCoding.DEFLATE, 6), Chunkings.fixed(plain, 4096));
    assertThat(Chunkings.run(new InflatingDecoder(ContentCoding.DEFLATE, DecodeLimits.DEFAULT), List.of(deflated))).isEqualTo(plain);
  }

  @Test
  void stopsADecompressionBombByRatioAndByTotal() throws IOException {
    ByteString bomb = gzip(ByteString.copyFrom(new byte[64 * 1024 * 1024]));
    assertThat(bomb.size()).isLessThan(100 * 1024);
    InflatingDecoder decoder = new InflatingDecoder(ContentCoding.GZIP, DecodeLimits.DEFAULT);
    assertThatThrownBy(() -> Chunkings.run(decoder, Chunkings.fixed(bomb, 16 * 1024)))
        .isInstanceOf(TransformException.class)
        .hasMessageContaining("expands more than 100 times")
        .satisfies(e -> assertThat(((TransformException) e).status()).isEqualTo(413));
    ByteString big = gzip(text(3 * 1024 * 1024, 6));
    InflatingDecoder capped = new InflatingDecoder(ContentCoding.GZIP, new DecodeLimits(100, 2 * 1024 * 1024, 1024));
    assertThatThrownBy(() -> Chunkings.run(capped, List.of(big)))
        .hasMessageContaining("decodes to more than 2097152 bytes");
  }

  @Test
  void refusesMalformedAndTruncatedInput() throws IOException {
    ByteString good = gzip(text(10_000, 8));
    assertThatThrownBy(() -> Chunkings.run(new InflatingDecoder(ContentCoding.GZIP, DecodeLimits.DEFAULT),
            List.of(ByteString.copyFromUtf8("this is not gzip at all"))))
        .isInstanceOf(TransformException.class).hasMessageContaining("malformed gzip body: not a gzip stream");
    assertThatThrownBy(() -> Chunkings.run(new InflatingDecoder(ContentCoding.GZIP, DecodeLimits.DEFAULT),
            List.of(good.substring(0, good.size() - 5))))
        .hasMessageContaining("truncated");
    byte[] corrupt = good.toByteArray();
    corrupt[corrupt.length - 6] ^= 0x55; // inside the CRC
    assertThatThrownBy(() -> Chunkings.run(new InflatingDecoder(ContentCoding.GZIP, DecodeLimits.DEFAULT),
            List.of(ByteString.copyFrom(corrupt))))
        .hasMessageContaining("CRC mismatch");
    byte[] garbled = good.toByteArray();
    for (int i = 20; i < 60; i++) {
      garbled[i] = (byte) 0xff;
    }
    assertThatThrownBy(() -> Chunkings.run(new InflatingDecoder(ContentCoding.GZIP, DecodeLimits.DEFAULT),
            List.of(ByteString.copyFrom(garbled))))
        .isInstanceOf(TransformException.class).hasMessageContaining("malformed gzip body");
  }

  @Test
  void refusesBrotliAndZstdClearly() {
    assertThatThrownBy(() -> ContentCoding.of("br")).hasMessage("content-encoding br is not supported (expected: gzip, deflate or identity)");
    assertThatThrownBy(() -> ContentCoding.of("zstd")).isInstanceOf(TransformException.class)
        .satisfies(e -> assertThat(((TransformException) e).status()).isEqualTo(415));
    assertThat(ContentCoding.of("x-gzip")).isEqualTo(ContentCoding.GZIP);
    assertThat(ContentCoding.of(null)).isEqualTo(ContentCoding.IDENTITY);
  }
}
