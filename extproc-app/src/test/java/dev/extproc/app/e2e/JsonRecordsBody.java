package dev.extproc.app.e2e;

import com.google.protobuf.ByteString;
import dev.extproc.client.BodyDigest;
import dev.extproc.client.RequestBody;
import dev.extproc.transforms.BodyTransform;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.function.Supplier;

/**
 * A large JSON body generated while it is sent, never held: a JSON array of {@code count} copies
 * of one record (about 1 KiB, with a password, a card number and a note of random words). Its
 * expected response is computed by running the same bytes through the library's transforms.
 */
final class JsonRecordsBody implements RequestBody {
  private static final int PIECE = 64 * 1024;

  /** One record and its separator; the last one's {@code ",\n"} becomes {@code "]"}. */
  private final byte[] unit;
  private final long length;

  /** A body of about {@code approximateLength} bytes (a whole number of records). */
  JsonRecordsBody(long approximateLength) {
    StringBuilder record = new StringBuilder("{\"id\": 14, \"password\": \"hunter2-secret\", "
        + "\"card\": \"4111 1111 1111 1111\", \"note\": \"");
    Random random = new Random(14);
    while (record.length() < 1000) {
      record.append(random.nextInt(7) == 0 ? ' ' : (char) ('a' + random.nextInt(26)));
    }
    record.append("\"},\n");
    unit = record.toString().getBytes(StandardCharsets.US_ASCII);
    length = Math.max(1, approximateLength / unit.length) * unit.length;
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public Reader open() {
    return new Reader() {
      @Override
      public ByteBuf read(ByteBufAllocator alloc, long offset, int count) {
        ByteBuf buf = alloc.buffer(count);
        byte[] bytes = new byte[count];
        fill(offset, bytes, count);
        buf.writeBytes(bytes);
        return buf;
      }

      @Override
      public void close() {}
    };
  }

  /** Writes bytes {@code [offset, offset + count)} of the body into {@code into}. */
  private void fill(long offset, byte[] into, int count) {
    for (int i = 0; i < count; i++) {
      long at = offset + i;
      into[i] = at == 0 ? (byte) '[' : at == length - 1 ? (byte) ']' : unit[(int) ((at - 1) % unit.length)];
    }
  }

  /** Runs the whole body through a fresh transform in 64 KiB pieces; returns the output's digest. */
  BodyDigest.Result expectedAfter(Supplier<BodyTransform> transform) {
    MessageDigest sha256 = BodyDigest.sha256();
    long outLength = 0;
    byte[] piece = new byte[PIECE];
    try (BodyTransform t = transform.get()) {
      for (long at = 0; at < length; at += PIECE) {
        int n = (int) Math.min(PIECE, length - at);
        fill(at, piece, n);
        ByteString out = t.apply(ByteString.copyFrom(piece, 0, n));
        out.asReadOnlyByteBufferList().forEach(sha256::update);
        outLength += out.size();
      }
      ByteString tail = t.finish();
      tail.asReadOnlyByteBufferList().forEach(sha256::update);
      outLength += tail.size();
    }
    return new BodyDigest.Result(outLength, HexFormat.of().formatHex(sha256.digest()));
  }
}
