package dev.extproc.transforms;

import com.google.protobuf.ByteString;

/**
 * A bounded byte queue for bytes a transform must keep across chunks: the undecided tail of a
 * match, a partial UTF-8 character, a look-behind byte. Bytes are appended at the end and
 * consumed from the front. The capacity is fixed at construction; appending past it throws
 * {@link CarryOverflowException}, so a transform can never hold more than it declared.
 *
 * <p>Memory: one array of {@code capacity} bytes. Not thread-safe (one direction uses one buffer
 * on its serial executor).
 */
public final class CarryBuffer {
  private final byte[] bytes;
  private int start;
  private int length;

  /** Returns an empty buffer that holds at most {@code capacity} bytes. */
  public CarryBuffer(int capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 0)");
    }
    this.bytes = new byte[capacity];
  }

  /** Returns the fixed capacity. */
  public int capacity() {
    return bytes.length;
  }

  /** Returns the number of bytes held. */
  public int size() {
    return length;
  }

  /** Returns whether no byte is held. */
  public boolean isEmpty() {
    return length == 0;
  }

  /**
   * Appends {@code data[from, from + count)}.
   *
   * @throws CarryOverflowException when the bytes do not fit; nothing is appended then
   */
  public void append(byte[] data, int from, int count) {
    if (count > bytes.length - length) {
      throw new CarryOverflowException(
          "carry buffer overflow: " + length + " B held + " + count + " B appended > capacity " + bytes.length + " B");
    }
    compact();
    System.arraycopy(data, from, bytes, start + length, count);
    length += count;
  }

  /** Appends all of {@code data}; see {@link #append(byte[], int, int)}. */
  public void append(ByteString data) {
    if (data.size() > bytes.length - length) {
      throw new CarryOverflowException(
          "carry buffer overflow: " + length + " B held + " + data.size() + " B appended > capacity " + bytes.length + " B");
    }
    compact();
    data.copyTo(bytes, start + length);
    length += data.size();
  }

  /** Returns the byte at {@code index} (0 is the oldest held byte) without consuming it. */
  public byte peek(int index) {
    checkIndex(index, length);
    return bytes[start + index];
  }

  /** Returns the index of the first {@code value} at or after {@code from}, or -1. */
  public int indexOf(byte value, int from) {
    for (int i = Math.max(0, from); i < length; i++) {
      if (bytes[start + i] == value) {
        return i;
      }
    }
    return -1;
  }

  /** Discards the {@code count} oldest bytes. */
  public void skip(int count) {
    checkCount(count);
    start += count;
    length -= count;
    if (length == 0) {
      start = 0;
    }
  }

  /** Removes and returns the {@code count} oldest bytes (a copy). */
  public ByteString take(int count) {
    checkCount(count);
    ByteString out = ByteString.copyFrom(bytes, start, count);
    skip(count);
    return out;
  }

  /** Removes and returns every byte held. */
  public ByteString takeAll() {
    return take(length);
  }

  /** Copies the held bytes into {@code dst} at {@code dstOffset} without consuming them. */
  public void copyTo(byte[] dst, int dstOffset) {
    System.arraycopy(bytes, start, dst, dstOffset, length);
  }

  private void compact() {
    if (start > 0) {
      System.arraycopy(bytes, start, bytes, 0, length);
      start = 0;
    }
  }

  private void checkCount(int count) {
    if (count < 0 || count > length) {
      throw new IndexOutOfBoundsException("count: " + count + " (expected: within [0, " + length + "])");
    }
  }

  private static void checkIndex(int index, int length) {
    if (index < 0 || index >= length) {
      throw new IndexOutOfBoundsException("index: " + index + " (expected: within [0, " + length + "))");
    }
  }

  @Override
  public String toString() {
    return "CarryBuffer[" + length + "/" + bytes.length + " B]";
  }
}
