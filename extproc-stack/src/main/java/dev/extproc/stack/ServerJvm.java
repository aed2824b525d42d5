package dev.extproc.stack;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Java the ext_proc server runs on and its JVM options, chosen by measurement (docs/benchmarks.md,
 * "CPU and the JVM"). The libraries are built for Java 17; the server runs on a JDK 25 where one is
 * present, because it needs less CPU and memory there.
 *
 * <p>Which Java: {@value #JAVA_ENV} when set (a {@code java} executable or a JDK directory), else a JDK
 * {@value #PREFERRED_FEATURE} under {@code /usr/lib/jvm}, else the Java running this code. The options
 * are the lines of the argument files {@code server-jvm.options} (every Java) and, on 25 or newer,
 * {@code server-jvm-25.options}, kept beside this class; the {@code extproc} launcher and the
 * Dockerfile pass the same files to {@code java @file}. Immutable.
 */
public final class ServerJvm {

  /** The environment variable naming the server's Java: a {@code java} executable or a JDK directory. */
  public static final String JAVA_ENV = "EXTPROC_SERVER_JAVA";

  /** The Java feature release the server prefers when present. */
  public static final int PREFERRED_FEATURE = 25;

  /** Where JDKs are installed on Debian-like systems. */
  static final Path JVM_DIR = Path.of("/usr/lib/jvm");

  static final String COMMON_OPTIONS = "server-jvm.options";
  static final String JDK25_OPTIONS = "server-jvm-25.options";

  private static final Pattern RELEASE_VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"([^\"]+)\"");

  private final Path executable;
  private final String version;
  private final int feature;

  private ServerJvm(Path executable, String version) {
    this.executable = executable;
    this.version = version;
    this.feature = feature(version);
  }

  /** Chooses the server's Java from this process's environment (see the class comment). */
  public static ServerJvm select() {
    return select(System.getenv(), Path.of(System.getProperty("java.home")), JVM_DIR);
  }

  /**
   * Chooses the server's Java.
   *
   * @param env the environment ({@value #JAVA_ENV})
   * @param currentJavaHome the Java to fall back on
   * @param jvmDir where to look for a JDK {@value #PREFERRED_FEATURE}
   * @throws IllegalArgumentException if {@value #JAVA_ENV} names no Java
   */
  static ServerJvm select(Map<String, String> env, Path currentJavaHome, Path jvmDir) {
    String explicit = env.get(JAVA_ENV);
    if (explicit != null && !explicit.isBlank()) {
      return of(Path.of(explicit.strip()), JAVA_ENV);
    }
    return preferredIn(jvmDir).orElseGet(() -> current(currentJavaHome));
  }

  /** Returns the Java running this code (its version from this JVM when its home has no release file). */
  static ServerJvm current(Path javaHome) {
    Path java = javaHome.resolve("bin").resolve("java").toAbsolutePath();
    return new ServerJvm(java, releaseVersion(javaHome).orElse(System.getProperty("java.version")));
  }

  /**
   * Returns the Java at {@code path}: a {@code java} executable or a JDK directory (its {@code bin/java}).
   *
   * @param source what named the path, for the error message
   * @throws IllegalArgumentException if there is no Java there
   */
  public static ServerJvm of(Path path, String source) {
    requireNonNull(path, "path");
    Path java = Files.isDirectory(path) ? path.resolve("bin").resolve("java") : path;
    if (!Files.isRegularFile(java) || !Files.isExecutable(java)) {
      throw new IllegalArgumentException(source + ": " + path + " (expected: a java executable or a JDK directory with bin/java)");
    }
    Path home = java.toAbsolutePath().getParent().getParent();
    String version = home == null ? null : releaseVersion(home).orElse(null);
    if (version == null) {
      throw new IllegalArgumentException(source + ": " + path + " (expected: a JDK or JRE with a 'release' file naming JAVA_VERSION)");
    }
    return new ServerJvm(java.toAbsolutePath(), version);
  }

  /** Returns the JDK {@value #PREFERRED_FEATURE} in {@code jvmDir} (the first by name), if any. */
  static Optional<ServerJvm> preferredIn(Path jvmDir) {
    if (!Files.isDirectory(jvmDir)) {
      return Optional.empty();
    }
    try (Stream<Path> homes = Files.list(jvmDir)) {
      return homes.filter(home -> !Files.isSymbolicLink(home))
          .sorted(Comparator.comparing(Path::toString))
          .filter(home -> Files.isExecutable(home.resolve("bin").resolve("java")))
          .filter(home -> releaseVersion(home).map(ServerJvm::feature).orElse(0) == PREFERRED_FEATURE)
          .findFirst()
          .map(home -> new ServerJvm(home.resolve("bin").resolve("java"), releaseVersion(home).orElseThrow()));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Optional<String> releaseVersion(Path home) {
    Path release = home.resolve("release");
    try {
      if (!Files.isRegularFile(release)) {
        return Optional.empty();
      }
      Matcher m = RELEASE_VERSION.matcher(Files.readString(release, StandardCharsets.UTF_8));
      return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  static int feature(String version) {
    String head = version.startsWith("1.") ? version.substring(2) : version;
    Matcher m = Pattern.compile("^(\\d+)").matcher(head);
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  /** The {@code java} executable. */
  public Path executable() {
    return executable;
  }

  /** The version, as the JDK's {@code release} file gives it ({@code 25.0.3}). */
  public String version() {
    return version;
  }

  /** The feature release ({@code 17}, {@code 25}). */
  public int featureVersion() {
    return feature;
  }

  /** The JVM options of the server on this Java: {@code server-jvm.options}, and on 25+ {@code server-jvm-25.options}. */
  public List<String> options() {
    List<String> options = new ArrayList<>(readOptions(COMMON_OPTIONS));
    if (feature >= PREFERRED_FEATURE) {
      options.addAll(readOptions(JDK25_OPTIONS));
    }
    return List.copyOf(options);
  }

  /**
   * The server's options for a class path: {@link #options()}, and on Java 25+ {@code -XX:AOTCache=} when
   * the class path is one jar with a fresh AOT cache beside it ({@link #aotCacheFile}, made by
   * {@code scripts/server-aot-cache.sh}): classes already parsed and linked, and the training run's profiles.
   */
  public List<String> options(String classpath) {
    List<String> options = new ArrayList<>(options());
    aotCache(classpath).ifPresent(cache -> options.add("-XX:AOTCache=" + cache));
    return List.copyOf(options);
  }

  /**
   * Returns the AOT cache of this Java for a jar: {@code <jar without .jar>.jdk<feature>.aot} beside it
   * ({@code extproc-server.jar} gives {@code extproc-server.jdk25.aot}).
   */
  public Path aotCacheFile(Path jar) {
    String name = jar.getFileName().toString().replaceFirst("\\.jar$", "");
    return jar.resolveSibling(name + ".jdk" + feature + ".aot");
  }

  /**
   * Returns the AOT cache to use with a class path: only on Java 25+, only for a class path of one jar
   * (the JVM accepts a cache only for the class path it was trained with), only when the cache is newer
   * than the jar (the JVM rejects a cache of a rebuilt jar, with a warning).
   */
  Optional<Path> aotCache(String classpath) {
    if (feature < PREFERRED_FEATURE || classpath == null || classpath.contains(java.io.File.pathSeparator)
        || !classpath.endsWith(".jar")) {
      return Optional.empty();
    }
    Path jar = Path.of(classpath).toAbsolutePath();
    Path cache = aotCacheFile(jar);
    try {
      return Files.isRegularFile(jar) && Files.isRegularFile(cache)
          && Files.getLastModifiedTime(cache).compareTo(Files.getLastModifiedTime(jar)) > 0
          ? Optional.of(cache) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Returns the options of an argument file beside this class: one or more per line, {@code #} lines are comments. */
  static List<String> readOptions(String resource) {
    try (InputStream in = ServerJvm.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource + " beside " + ServerJvm.class.getName());
      }
      List<String> options = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        String trimmed = line.strip();
        if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
          options.addAll(List.of(trimmed.split("\\s+")));
        }
      }
      return options;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  /** Returns {@code 25.0.3 (/usr/lib/jvm/.../bin/java)}. */
  public String describe() {
    return version + " (" + executable + ")";
  }

  @Override
  public String toString() {
    return "ServerJvm[" + describe() + "]";
  }
}
