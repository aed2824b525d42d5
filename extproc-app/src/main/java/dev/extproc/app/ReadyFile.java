package dev.extproc.app;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Properties;

/**
 * Writes a long-running command's ready file: Java properties, written to {@code PATH.tmp} then
 * renamed, so a reader never sees a half-written file (see CONTRACTS.md).
 */
final class ReadyFile {
  private ReadyFile() {}

  /** Writes {@code values} plus {@code pid} atomically to {@code path}. */
  static void write(Path path, Map<String, String> values) {
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
}
