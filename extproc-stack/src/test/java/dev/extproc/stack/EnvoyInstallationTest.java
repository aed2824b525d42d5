package dev.extproc.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvoyInstallationTest {

  @Test
  void locate_findsAnEnvoyReportingThePinnedVersion() {
    ProjectRoot root = ProjectRoot.find();

    EnvoyInstallation envoy = EnvoyInstallation.locate(root);

    assertThat(envoy.version()).isEqualTo(root.envoyVersion());
    assertThat(EnvoyInstallation.versionOf(envoy.binary())).contains(root.envoyVersion());
  }

  @Test
  void noEnvoyOfThePinnedVersion_failsWithHowToInstall(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("deploy"));
    Files.writeString(dir.resolve("deploy/ENVOY_VERSION"), "0.0.1\n");

    assertThatThrownBy(() -> EnvoyInstallation.locate(new ProjectRoot(dir)))
        .isInstanceOf(EnvoyNotFoundException.class)
        .hasMessageContaining("Envoy 0.0.1 not found")
        .hasMessageContaining("scripts/install-envoy.sh");
  }

  @Test
  void versionOutput_isParsed() {
    assertThat(EnvoyInstallation.parseVersion(
        "envoy  version: 9e5580933739775e8bce696a57a2e1bc99368f23/1.40.0/Clean/RELEASE/BoringSSL"))
        .contains("1.40.0");
    assertThat(EnvoyInstallation.parseVersion("command not found")).isEmpty();
  }

  @Test
  void projectRoot_isFoundAboveTheWorkingDirectory() {
    assertThat(ProjectRoot.find().dir().resolve("scripts/install-envoy.sh")).exists();
  }
}
