package dev.extproc.transforms;

import com.google.protobuf.ByteString;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Encodes a body as {@code gzip} or {@code deflate} (zlib) chunk by chunk. Memory: the Deflater's
 * state (about 256 KiB native at the default level) and a 64 KiB output block.
 */
public final class DeflatingEncoder implements BodyTransform {
  private static final byte[] GZIP_HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

  private final ContentCoding coding;
  private final byte[] block = new byte[64 * 1024];
  private final CRC32 crc = new CRC32();
  private Deflater deflater;
  private boolean started;
  private long size;

  public DeflatingEncoder(ContentCoding coding, int level) {
    if (coding != ContentCoding.GZIP && coding != ContentCoding.DEFLATE) {
      throw new IllegalArgumentException("coding: " + coding + " (expected: GZIP or DEFLATE)");
    }
    this.coding = coding;
    this.deflater = new Deflater(level, coding == ContentCoding.GZIP);
  }

  @Override
  public ByteString apply(ByteString chunk) {
    ByteString.Output out = ByteString.newOutput();
    start(out);
    byte[] input = chunk.toByteArray();
    crc.update(input);
    size += input.length;
    deflater.setInput(input);
    while (!deflater.needsInput()) {
      int n = deflater.deflate(block, 0, block.length, Deflater.NO_FLUSH);
      out.write(block, 0, n);
    }
    return out.toByteString();
  }

  @Override
  public ByteString finish() {
    ByteString.Output out = ByteString.newOutput();
    start(out);
    deflater.finish();
    while (!deflater.finished()) {
      int n = deflater.deflate(block);
      out.write(block, 0, n);
    }
    if (coding == ContentCoding.GZIP) {
      writeLe32(out, crc.getValue());
      writeLe32(out, size);
    }
    close();
    return out.toByteString();
  }

  @Override
  public void close() {
    if (deflater != null) {
      deflater.end();
      deflater = null;
    }
  }

  private void start(ByteString.Output out) {
    if (!started && coding == ContentCoding.GZIP) {
      out.write(GZIP_HEADER, 0, GZIP_HEADER.length);
    }
    started = true;
  }

  private static void writeLe32(ByteString.Output out, long value) {
    for (int i = 0; i < 4; i++) {
      out.write((int) (value >>> (8 * i)) & 0xff);
    }
  }
}
