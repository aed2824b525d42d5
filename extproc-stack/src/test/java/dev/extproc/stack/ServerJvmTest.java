package dev.extproc.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerJvmTest {

  @TempDir Path dir;

  /** A directory that looks like a JDK: {@code release} naming the version and an executable {@code bin/java}. */
  Path fakeJdk(String name, String version) throws IOException {
    Path home = Files.createDirectories(dir.resolve(name));
    Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + version + "\"\n");
    Path java = Files.createDirectories(home.resolve("bin")).resolve("java");
    Files.writeString(java, "#!/bin/sh\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    return home;
  }

  @Test
  void anExplicitJava_wins() throws IOException {
    Path jdk17 = fakeJdk("jdk-17", "17.0.15");
    Path jvms = Files.createDirectories(dir.resolve("jvms"));
    fakeJdk("jvms/temurin-25", "25.0.3");

    ServerJvm jvm = ServerJvm.select(Map.of(ServerJvm.JAVA_ENV, jdk17.resolve("bin/java").toString()), jdk17, jvms);

    assertThat(jvm.executable()).isEqualTo(jdk17.resolve("bin/java").toAbsolutePath());
    assertThat(jvm.featureVersion()).isEqualTo(17);
    assertThat(jvm.describe()).isEqualTo("17.0.15 (" + jdk17.resolve("bin/java").toAbsolutePath() + ")");
  }

  @Test
  void withoutAnExplicitJava_aJdk25IsPreferred_elseTheCurrentJava() throws IOException {
    Path current = fakeJdk("current", "17.0.15");
    Path jvms = Files.createDirectories(dir.resolve("jvms"));
    fakeJdk("jvms/java-21", "21.0.2");

    assertThat(ServerJvm.select(Map.of(), current, jvms).version()).isEqualTo("17.0.15");

    Path jdk25 = fakeJdk("jvms/temurin-25", "25.0.3");
    ServerJvm jvm = ServerJvm.select(Map.of(ServerJvm.JAVA_ENV, " "), current, jvms);
    assertThat(jvm.executable()).isEqualTo(jdk25.resolve("bin/java"));
    assertThat(jvm.featureVersion()).isEqualTo(25);
  }

  @Test
  void anExplicitPathWithoutJava_isAClearError() {
    Path missing = dir.resolve("no-such-jdk");

    assertThatThrownBy(() -> ServerJvm.select(Map.of(ServerJvm.JAVA_ENV, missing.toString()), dir, dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(ServerJvm.JAVA_ENV + ": " + missing + " (expected: a java executable or a JDK directory with bin/java)");
  }

  @Test
  void theOptionsOf25_addToTheCommonOnes() throws IOException {
    ServerJvm jdk17 = ServerJvm.of(fakeJdk("jdk-17", "17.0.15"), "test");
    ServerJvm jdk25 = ServerJvm.of(fakeJdk("jdk-25", "25.0.3"), "test");

    assertThat(jdk17.options()).isEqualTo(ServerJvm.readOptions(ServerJvm.COMMON_OPTIONS)).isNotEmpty()
        .noneMatch(o -> o.startsWith("#") || o.isBlank());
    assertThat(jdk25.options()).startsWith(jdk17.options().toArray(String[]::new))
        .containsAll(ServerJvm.readOptions(ServerJvm.JDK25_OPTIONS))
        .contains("--sun-misc-unsafe-memory-access=allow");
  }

  @Test
  void anAotCache_isUsedOn25_onlyForItsOwnJar_andOnlyWhenNewerThanTheJar() throws IOException {
    ServerJvm jdk17 = ServerJvm.of(fakeJdk("jdk-17", "17.0.15"), "test");
    ServerJvm jdk25 = ServerJvm.of(fakeJdk("jdk-25", "25.0.3"), "test");
    Path jar = Files.writeString(dir.resolve("extproc-server.jar"), "jar");
    Path cache = jdk25.aotCacheFile(jar);
    assertThat(cache).hasFileName("extproc-server.jdk25.aot");

    assertThat(jdk25.options(jar.toString())).isEqualTo(jdk25.options());
    Files.writeString(cache, "cache");
    Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(1_000_000));
    assertThat(jdk25.options(jar.toString())).endsWith("-XX:AOTCache=" + cache.toAbsolutePath());
    assertThat(jdk25.options(jar + java.io.File.pathSeparator + dir)).isEqualTo(jdk25.options());
    assertThat(jdk17.options(jar.toString())).isEqualTo(jdk17.options());

    Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 60_000));
    assertThat(jdk25.options(jar.toString())).as("a cache older than the jar").isEqualTo(jdk25.options());
  }

  @Test
  void theFeatureRelease_isReadFromTheVersion() {
    assertThat(ServerJvm.feature("25.0.3")).isEqualTo(25);
    assertThat(ServerJvm.feature("17")).isEqualTo(17);
    assertThat(ServerJvm.feature("1.8.0_392")).isEqualTo(8);
  }
}
