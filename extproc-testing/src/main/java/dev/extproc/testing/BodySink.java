package dev.extproc.testing;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Receives a body's bytes: counts and hashes them, keeps them while small, optionally spools them to a file. */
final class BodySink {
  private final int keepCap;
  private final MessageDigest sha256;
  private ByteString.Output kept;
  private long length;
  private FileChannel spool;

  BodySink(int keepCap) {
    this.keepCap = keepCap;
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
    this.kept = keepCap > 0 ? ByteString.newOutput() : null;
  }

  void spoolTo(FileChannel channel) {
    this.spool = channel;
  }

  void write(ByteString data) {
    if (data.isEmpty()) {
      return;
    }
    length += data.size();
    for (java.nio.ByteBuffer buffer : data.asReadOnlyByteBufferList()) {
      sha256.update(buffer);
    }
    if (kept != null) {
      if (length <= keepCap) {
        try {
          data.writeTo(kept);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      } else {
        kept = null;
      }
    }
    if (spool != null) {
      try {
        for (java.nio.ByteBuffer buffer : data.asReadOnlyByteBufferList()) {
          while (buffer.hasRemaining()) {
            spool.write(buffer);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot spool body", e);
      }
    }
  }

  long length() {
    return length;
  }

  Digest digest() {
    try {
      MessageDigest copy = (MessageDigest) sha256.clone();
      return new Digest(length, hex(copy.digest()));
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException(e);
    }
  }

  CapturedBody capture() {
    return new CapturedBody(digest(), kept == null ? null : kept.toByteString());
  }

  static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder(bytes.length * 2);
    for (byte b : bytes) {
      sb.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
    }
    return sb.toString();
  }
}
