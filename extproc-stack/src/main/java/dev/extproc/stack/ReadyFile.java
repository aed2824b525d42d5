package dev.extproc.stack;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The ready file of a long-running extproc command (docs/interfaces.md): Java properties written
 * atomically (write {@code PATH.tmp}, then rename, so a reader never sees half a file) once the
 * process listens, e.g. {@code grpc.port}, {@code admin.port}, {@code http.port}, {@code pid}. The
 * commands write it with {@link #write}; the stack that started them reads it with {@link #read}.
 */
public final class ReadyFile {

  private ReadyFile() {}

  /** Writes {@code values} plus this process's {@code pid} atomically to {@code path}. */
  public static void write(Path path, Map<String, String> values) {
    Properties properties = new Properties();
    properties.putAll(values);
    properties.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
    StringWriter text = new StringWriter();
    try {
      properties.store(text, "extproc ready file");
      Path absolute = path.toAbsolutePath();
      if (absolute.getParent() != null) {
        Files.createDirectories(absolute.getParent());
      }
      Path tmp = absolute.resolveSibling(absolute.getFileName() + ".tmp");
      Files.writeString(tmp, text.toString(), StandardCharsets.ISO_8859_1);
      Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("--ready-file: " + path + " could not be written: " + e.getMessage(), e);
    }
  }

  /** Reads the ready file if it exists. */
  public static Optional<Properties> read(Path file) {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      Properties properties = new Properties();
      properties.load(reader);
      return Optional.of(properties);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read ready file " + file, e);
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
