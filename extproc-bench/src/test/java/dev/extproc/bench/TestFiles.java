package dev.extproc.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Deterministic test bodies. */
final class TestFiles {

  private TestFiles() {}

  static Path random(Path dir, String name, int size, long seed) throws IOException {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return Files.write(dir.resolve(name), bytes);
  }
}
