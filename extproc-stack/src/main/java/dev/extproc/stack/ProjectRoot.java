package dev.extproc.stack;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The root directory of the extproc project: the directory that holds {@code deploy/ENVOY_VERSION}
 * (the Envoy version pin), {@code scripts/install-envoy.sh} and the git-ignored {@code .venv}.
 */
public record ProjectRoot(Path dir) {

  /** The version pin file, relative to the root. */
  public static final String ENVOY_VERSION_FILE = "deploy/ENVOY_VERSION";

  /** The install script, relative to the root. */
  public static final String INSTALL_SCRIPT = "scripts/install-envoy.sh";

  public ProjectRoot {
    Objects.requireNonNull(dir, "dir");
    dir = dir.toAbsolutePath().normalize();
    if (!Files.isRegularFile(dir.resolve(ENVOY_VERSION_FILE))) {
      throw new IllegalArgumentException(
          "project root: " + dir + " (expected: a directory holding " + ENVOY_VERSION_FILE + ")");
    }
  }

  /**
   * Finds the project root by walking up from the working directory, then from the location of
   * this class (the jar in {@code extproc-app/target} or a module's {@code target/classes}).
   *
   * @throws IllegalStateException if neither walk finds {@code deploy/ENVOY_VERSION}
   */
  public static ProjectRoot find() {
    List<Path> starts = new ArrayList<>();
    starts.add(Path.of(System.getProperty("user.dir")));
    codeLocation().ifPresent(starts::add);
    for (Path start : starts) {
      Optional<ProjectRoot> found = findFrom(start);
      if (found.isPresent()) {
        return found.get();
      }
    }
    throw new IllegalStateException(
        "extproc project root not found: no " + ENVOY_VERSION_FILE + " above " + starts
            + " (run from inside the extproc checkout)");
  }

  /** Walks up from {@code start} to the first directory holding {@code deploy/ENVOY_VERSION}. */
  public static Optional<ProjectRoot> findFrom(Path start) {
    for (Path dir = start.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve(ENVOY_VERSION_FILE))) {
        return Optional.of(new ProjectRoot(dir));
      }
    }
    return Optional.empty();
  }

  /** The pinned Envoy version, e.g. {@code 1.40.0}. */
  public String envoyVersion() {
    try {
      String pin = Files.readString(dir.resolve(ENVOY_VERSION_FILE)).strip();
      if (pin.isEmpty()) {
        throw new IllegalStateException(ENVOY_VERSION_FILE + ": empty (expected: a version like 1.40.0)");
      }
      return pin;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot read " + dir.resolve(ENVOY_VERSION_FILE), e);
    }
  }

  /** {@code <root>/.venv/bin/envoy}, where {@code scripts/install-envoy.sh} installs Envoy. */
  public Path venvEnvoy() {
    return dir.resolve(".venv").resolve("bin").resolve("envoy");
  }

  /** {@code <root>/scripts/install-envoy.sh}. */
  public Path installScript() {
    return dir.resolve(INSTALL_SCRIPT);
  }

  private static Optional<Path> codeLocation() {
    try {
      CodeSource source = ProjectRoot.class.getProtectionDomain().getCodeSource();
      if (source == null || source.getLocation() == null) {
        return Optional.empty();
      }
      return Optional.of(Path.of(source.getLocation().toURI()));
    } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
      return Optional.empty();
    }
  }
}
