package dev.extproc.transforms;

import com.google.protobuf.ByteString;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Decodes a {@code gzip} (RFC 1952, several members allowed) or {@code deflate} (zlib, RFC 1950;
 * a raw deflate stream is accepted too, as browsers do) body chunk by chunk, with a {@link
 * DecodeLimits} bomb guard and the gzip CRC and length checked.
 *
 * <p>Memory: the Inflater's window (32 KiB native), a 64 KiB output block, a gzip header of at
 * most 64 KiB, and the output of one chunk ({@code <= maxRatio x chunk} once past the grace).
 * Malformed or truncated input throws {@link TransformException} with status 400.
 */
public final class InflatingDecoder implements BodyTransform {
  private static final int MAX_HEADER_BYTES = 64 * 1024;

  private enum State { HEADER, BODY, TRAILER, DONE }

  private final ContentCoding coding;
  private final DecodeLimits limits;
  private final CarryBuffer header = new CarryBuffer(MAX_HEADER_BYTES);
  private final byte[] block = new byte[64 * 1024];
  private final CRC32 crc = new CRC32();
  private Inflater inflater;
  private State state;
  private long encoded;
  private long decoded;
  private long memberDecoded;
  private boolean memberEnded;

  public InflatingDecoder(ContentCoding coding, DecodeLimits limits) {
    if (coding != ContentCoding.GZIP && coding != ContentCoding.DEFLATE) {
      throw new IllegalArgumentException("coding: " + coding + " (expected: GZIP or DEFLATE)");
    }
    this.coding = coding;
    this.limits = limits;
    this.state = State.HEADER;
  }

  @Override
  public ByteString apply(ByteString chunk) {
    encoded += chunk.size();
    ByteString.Output out = ByteString.newOutput();
    byte[] input = chunk.toByteArray();
    int at = 0;
    while (at < input.length) {
      switch (state) {
        case HEADER:
          int taken = header(input, at);
          if (state == State.BODY) {
            // The header buffer's bytes past the header (some may be from earlier chunks) come first.
            byte[] rest = header.takeAll().toByteArray();
            byte[] joined = new byte[rest.length + input.length - taken];
            System.arraycopy(rest, 0, joined, 0, rest.length);
            System.arraycopy(input, taken, joined, rest.length, input.length - taken);
            input = joined;
            at = 0;
          } else {
            at = taken;
          }
          break;
        case BODY:
          at = inflate(input, at, out);
          break;
        case TRAILER:
          at = trailer(input, at);
          break;
        case DONE:
          throw malformed("bytes after the end of the compressed stream");
        default:
          throw new IllegalStateException(state.toString());
      }
    }
    return out.toByteString();
  }

  @Override
  public ByteString finish() {
    if (state == State.HEADER && header.isEmpty() && memberEnded) {
      state = State.DONE; // ended cleanly after a whole member
    }
    if (state != State.DONE && !(encoded == 0)) {
      close();
      throw malformed("the body ends before the compressed stream does (truncated)");
    }
    close();
    return ByteString.EMPTY;
  }

  @Override
  public void close() {
    if (inflater != null) {
      inflater.end();
      inflater = null;
    }
  }

  private int header(byte[] input, int at) {
    int take = Math.min(input.length - at, MAX_HEADER_BYTES - header.size());
    if (take == 0) {
      throw malformed("gzip header longer than " + MAX_HEADER_BYTES + " bytes");
    }
    header.append(input, at, take);
    int length = coding == ContentCoding.GZIP ? gzipHeaderLength() : deflateHeaderLength();
    if (length < 0) {
      return at + take;
    }
    header.skip(length);
    memberEnded = false;
    state = State.BODY;
    crc.reset();
    memberDecoded = 0;
    return at + take;
  }

  /** Returns the gzip header's length once complete, -1 when more bytes are needed. */
  private int gzipHeaderLength() {
    int n = header.size();
    if (n < 10) {
      return -1;
    }
    if ((header.peek(0) & 0xff) != 0x1f || (header.peek(1) & 0xff) != 0x8b) {
      throw malformed("not a gzip stream (bad magic bytes)");
    }
    if (header.peek(2) != 8) {
      throw malformed("unknown compression method " + header.peek(2));
    }
    int flags = header.peek(3) & 0xff;
    int pos = 10;
    if ((flags & 0x04) != 0) { // FEXTRA
      if (n < pos + 2) {
        return -1;
      }
      pos += 2 + ((header.peek(pos) & 0xff) | (header.peek(pos + 1) & 0xff) << 8);
    }
    for (int flag : new int[] {0x08, 0x10}) { // FNAME, FCOMMENT: NUL-terminated
      if ((flags & flag) != 0) {
        if (pos >= n) {
          return -1;
        }
        int nul = header.indexOf((byte) 0, pos);
        if (nul < 0) {
          return -1;
        }
        pos = nul + 1;
      }
    }
    if ((flags & 0x02) != 0) { // FHCRC
      pos += 2;
    }
    if (pos > n) {
      return -1;
    }
    inflater = new Inflater(true);
    return pos;
  }

  private int deflateHeaderLength() {
    if (header.size() < 2) {
      return -1;
    }
    int b0 = header.peek(0) & 0xff;
    int b1 = header.peek(1) & 0xff;
    boolean zlib = (b0 & 0x0f) == 8 && ((b0 << 8) | b1) % 31 == 0;
    inflater = new Inflater(!zlib);
    return 0;
  }

  private int inflate(byte[] input, int at, ByteString.Output out) {
    inflater.setInput(input, at, input.length - at);
    try {
      while (true) {
        int n = inflater.inflate(block);
        if (n > 0) {
          out.write(block, 0, n);
          crc.update(block, 0, n);
          decoded += n;
          memberDecoded += n;
          limits.check(coding.token(), encoded, decoded);
          continue;
        }
        if (inflater.finished()) {
          int rest = inflater.getRemaining();
          inflater.end();
          inflater = null;
          state = coding == ContentCoding.GZIP ? State.TRAILER : State.DONE;
          return input.length - rest;
        }
        if (inflater.needsDictionary()) {
          throw malformed("a preset dictionary is required");
        }
        if (inflater.needsInput()) {
          return input.length;
        }
      }
    } catch (DataFormatException e) {
      close();
      throw new TransformException(400, "malformed " + coding.token() + " body: " + e.getMessage(), e);
    }
  }

  private int trailer(byte[] input, int at) {
    int take = Math.min(input.length - at, 8 - header.size());
    header.append(input, at, take);
    if (header.size() == 8) {
      long expectedCrc = le32(0);
      long expectedSize = le32(4);
      header.skip(8);
      if (expectedCrc != crc.getValue()) {
        throw malformed("CRC mismatch");
      }
      if (expectedSize != (memberDecoded & 0xffffffffL)) {
        throw malformed("length mismatch");
      }
      memberEnded = true;
      state = State.HEADER; // another member may follow
    }
    return at + take;
  }

  private long le32(int from) {
    return (header.peek(from) & 0xffL) | (header.peek(from + 1) & 0xffL) << 8
        | (header.peek(from + 2) & 0xffL) << 16 | (header.peek(from + 3) & 0xffL) << 24;
  }

  private TransformException malformed(String what) {
    close();
    return new TransformException(400, "malformed " + coding.token() + " body: " + what);
  }
}
