package dev.extproc.transforms;

/** A byte array seen as characters, one byte per char (ISO-8859-1): the matcher's regex input. */
final class Latin1View implements CharSequence {
  private final byte[] bytes;
  private final int offset;
  private final int length;

  Latin1View(byte[] bytes, int offset, int length) {
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
  }

  @Override
  public int length() {
    return length;
  }

  @Override
  public char charAt(int index) {
    return (char) (bytes[offset + index] & 0xff);
  }

  @Override
  public CharSequence subSequence(int start, int end) {
    return new Latin1View(bytes, offset + start, end - start);
  }

  @Override
  public String toString() {
    return new String(bytes, offset, length, java.nio.charset.StandardCharsets.ISO_8859_1);
  }
}
