package dev.extproc.transforms;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * A complete body, held in memory or in a temp file. A body made from a file owns it: {@link
 * #close()} deletes it. Thread-safe for reading; close once.
 */
public final class WholeBody implements AutoCloseable {
  private final @Nullable ByteString memory;
  private final @Nullable Path file;
  private final long size;

  private WholeBody(@Nullable ByteString memory, @Nullable Path file, long size) {
    this.memory = memory;
    this.file = file;
    this.size = size;
  }

  /** Returns a body held in memory. */
  public static WholeBody of(ByteString bytes) {
    return new WholeBody(requireNonNull(bytes, "bytes"), null, bytes.size());
  }

  /** Returns a body held in {@code file}, which it owns (deleted on close). */
  public static WholeBody ofFile(Path file) throws IOException {
    return new WholeBody(null, requireNonNull(file, "file"), Files.size(file));
  }

  /** Returns the size in bytes. */
  public long size() {
    return size;
  }

  /** Returns whether the body is in memory ({@link #bytes()} is cheap). */
  public boolean inMemory() {
    return memory != null;
  }

  /**
   * Returns the bytes. For a body in a temp file this reads the whole file into memory: use {@link
   * #openStream()} for large bodies.
   */
  public ByteString bytes() throws IOException {
    if (memory != null) {
      return memory;
    }
    try (InputStream in = Files.newInputStream(file)) {
      return ByteString.readFrom(in);
    }
  }

  /** Opens a stream of the body; the caller closes it. */
  public InputStream openStream() throws IOException {
    return memory != null ? memory.newInput() : Files.newInputStream(file);
  }

  /** Returns the temp file, or null for a body in memory. */
  public @Nullable Path file() {
    return file;
  }

  /** Deletes the temp file, if any. Idempotent. */
  @Override
  public void close() {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // Reported by the caller's leak checks; nothing else can be done here.
      }
    }
  }

  @Override
  public String toString() {
    return "WholeBody[" + size + " B " + (memory != null ? "in memory" : "in " + file) + "]";
  }
}
