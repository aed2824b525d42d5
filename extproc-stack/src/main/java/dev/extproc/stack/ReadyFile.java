package dev.extproc.stack;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/**
 * The ready file of an extproc child process (CONTRACTS.md): Java properties written atomically
 * (write {@code PATH.tmp}, then rename) once the process listens, e.g. {@code grpc.port},
 * {@code admin.port}, {@code http.port}, {@code pid}.
 */
public final class ReadyFile {

  private ReadyFile() {}

  /** Reads the ready file if it exists. */
  public static Optional<Properties> read(Path file) {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      Properties properties = new Properties();
      properties.load(reader);
      return Optional.of(properties);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot read ready file " + file, e);
    }
  }

  /** An integer property of a ready file. */
  public static int intProperty(Properties properties, String key, Path file) {
    String value = properties.getProperty(key);
    if (value == null) {
      throw new IllegalStateException("ready file " + file + ": no key " + key + " (keys: " + properties.stringPropertyNames() + ")");
    }
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalStateException("ready file " + file + ": " + key + "=" + value + " (expected: an integer)", e);
    }
  }
}
