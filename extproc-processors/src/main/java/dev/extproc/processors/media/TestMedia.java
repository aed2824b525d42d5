package dev.extproc.processors.media;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Generates the seed's three test files deterministically: pseudo-random bytes (SplitMix64 of
 * the word index, so any byte can be computed from its position) from a fixed seed per file,
 * streamed to disk in 1 MiB blocks, never whole in memory. The bytes depend only on the seed and
 * the position: a file is a prefix of any longer file with the same seed.
 *
 * <pre>{@code
 * List<TestMedia.MediaFile> files = TestMedia.ensure(dir, 1.0);      // the seed's sizes
 * TestMedia.MediaFile small = TestMedia.ensure(dir.resolve("in.bin"), 65_536, 7);  // a test fixture
 * }</pre>
 */
public final class TestMedia {
  /** The seed's upload, {@code i_want_it_that_way.mp4}: about 70.4 MiB. */
  public static final Spec INPUT = new Spec("input.mp4", 73_819_750L, 0x5EED_0001L);
  /** The seed's request replacement, {@code roar.mp4}: 78 MiB. */
  public static final Spec REQUEST_REPLACEMENT = new Spec("request-replacement.mp4", 81_788_928L, 0x5EED_0002L);
  /** The seed's response replacement, {@code something_just_like_this.mp4}: about 21.9 MiB. */
  public static final Spec RESPONSE_REPLACEMENT = new Spec("response-replacement.mp4", 22_963_814L, 0x5EED_0003L);

  private static final int BLOCK_BYTES = 1024 * 1024;

  private TestMedia() {}

  /**
   * A file to generate.
   *
   * @param name the file name
   * @param sizeBytes its size
   * @param seed the seed of its bytes
   */
  public record Spec(String name, long sizeBytes, long seed) {
    public Spec {
      requireNonNull(name, "name");
      if (sizeBytes < 0) {
        throw new IllegalArgumentException("sizeBytes: " + sizeBytes + " (expected: >= 0)");
      }
    }

    /** Returns this spec with its size multiplied by {@code scale} (rounded down). */
    public Spec scaled(double scale) {
      if (!(scale > 0) || Double.isInfinite(scale)) {
        throw new IllegalArgumentException("scale: " + scale + " (expected: > 0)");
      }
      return new Spec(name, (long) Math.floor(sizeBytes * scale), seed);
    }
  }

  /**
   * A generated file.
   *
   * @param path where it is
   * @param sizeBytes its size
   * @param sha256 the lower-case hex SHA-256 of its content
   * @param generated whether it was written now (false: an existing correct file was kept)
   */
  public record MediaFile(Path path, long sizeBytes, String sha256, boolean generated) {}

  /** Returns the three specs of the seed's media, sizes multiplied by {@code scale}. */
  public static List<Spec> seedSpecs(double scale) {
    return List.of(INPUT.scaled(scale), REQUEST_REPLACEMENT.scaled(scale), RESPONSE_REPLACEMENT.scaled(scale));
  }

  /**
   * Ensures {@code dir} holds the seed's three files at {@code scale} (1.0 for the seed's sizes),
   * generating those that are missing or wrong. Returns them in the order input, request
   * replacement, response replacement.
   */
  public static List<MediaFile> ensure(Path dir, double scale) throws IOException {
    Files.createDirectories(dir);
    List<MediaFile> files = new ArrayList<>();
    for (Spec spec : seedSpecs(scale)) {
      files.add(ensure(dir.resolve(spec.name()), spec.sizeBytes(), spec.seed()));
    }
    return List.copyOf(files);
  }

  /**
   * Ensures {@code file} holds {@code sizeBytes} bytes of the sequence of {@code seed}: an
   * existing file with the right content is kept, otherwise the file is written (to a temporary
   * name, then moved into place).
   */
  public static MediaFile ensure(Path file, long sizeBytes, long seed) throws IOException {
    requireNonNull(file, "file");
    if (sizeBytes < 0) {
      throw new IllegalArgumentException("sizeBytes: " + sizeBytes + " (expected: >= 0)");
    }
    if (Files.isRegularFile(file) && Files.size(file) == sizeBytes) {
      String digest = verify(file, sizeBytes, seed);
      if (digest != null) {
        return new MediaFile(file, sizeBytes, digest, false);
      }
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    MessageDigest sha = sha256();
    try (FileChannel out =
        FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      byte[] block = new byte[BLOCK_BYTES];
      for (long at = 0; at < sizeBytes; at += BLOCK_BYTES) {
        int n = (int) Math.min(BLOCK_BYTES, sizeBytes - at);
        fill(block, n, at, seed);
        sha.update(block, 0, n);
        ByteBuffer buffer = ByteBuffer.wrap(block, 0, n);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
      }
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return new MediaFile(file, sizeBytes, HexFormat.of().formatHex(sha.digest()), true);
  }

  /** Returns the SHA-256 of {@code file} if it holds exactly the sequence of {@code seed}, else null. */
  private static String verify(Path file, long sizeBytes, long seed) throws IOException {
    MessageDigest sha = sha256();
    byte[] expected = new byte[BLOCK_BYTES];
    byte[] actual = new byte[BLOCK_BYTES];
    try (InputStream in = Files.newInputStream(file)) {
      for (long at = 0; at < sizeBytes; at += BLOCK_BYTES) {
        int n = (int) Math.min(BLOCK_BYTES, sizeBytes - at);
        fill(expected, n, at, seed);
        if (in.readNBytes(actual, 0, n) != n || !Arrays.equals(expected, 0, n, actual, 0, n)) {
          return null;
        }
        sha.update(actual, 0, n);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** Returns {@code sizeBytes} bytes of the sequence of {@code seed}, in memory: for small test bodies only. */
  public static byte[] bytes(int sizeBytes, long seed) {
    if (sizeBytes < 0) {
      throw new IllegalArgumentException("sizeBytes: " + sizeBytes + " (expected: >= 0)");
    }
    byte[] bytes = new byte[sizeBytes];
    fill(bytes, sizeBytes, 0, seed);
    return bytes;
  }

  /** Returns the lower-case hex SHA-256 of {@code file}, read in blocks. */
  public static String sha256(Path file) throws IOException {
    MessageDigest sha = sha256();
    byte[] block = new byte[BLOCK_BYTES];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(block)) > 0) {
        sha.update(block, 0, n);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** Fills {@code block[0..n)} with the bytes at {@code [from, from + n)} of the sequence of {@code seed}. */
  static void fill(byte[] block, int n, long from, long seed) {
    ByteBuffer words = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
    int i = 0;
    long pos = from;
    // Unaligned head: bytes of the word containing `from`.
    while (i < n && (pos & 7) != 0) {
      block[i++] = byteAt(pos++, seed);
    }
    while (n - i >= 8) {
      words.putLong(i, word(pos >>> 3, seed));
      i += 8;
      pos += 8;
    }
    while (i < n) {
      block[i++] = byteAt(pos++, seed);
    }
  }

  private static byte byteAt(long pos, long seed) {
    return (byte) (word(pos >>> 3, seed) >>> (8 * (pos & 7)));
  }

  /** SplitMix64 applied to the word index: stateless, so any block can be generated on its own. */
  private static long word(long index, long seed) {
    long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
