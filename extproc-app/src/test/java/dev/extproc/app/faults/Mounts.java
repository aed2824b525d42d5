package dev.extproc.app.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Small file systems for the disk fault tests: a size-limited tmpfs, remounted read-only and back.
 * Needs root (as CI runs here); otherwise fails with the command's own message.
 */
final class Mounts {
  private Mounts() {}

  /** Mounts a tmpfs of {@code bytes} at {@code dir} (an existing empty directory). */
  static void tmpfs(Path dir, long bytes) {
    run("mount", "-t", "tmpfs", "-o", "size=" + bytes, "tmpfs", dir.toString());
  }

  static void readOnly(Path dir) {
    run("mount", "-o", "remount,ro", dir.toString());
  }

  static void readWrite(Path dir) {
    run("mount", "-o", "remount,rw", dir.toString());
  }

  /** Unmounts {@code dir}, lazily if it is still busy. */
  static void unmount(Path dir) {
    try {
      run("umount", dir.toString());
    } catch (IllegalStateException busy) {
      run("umount", "-l", dir.toString());
    }
  }

  private static void run(String... command) {
    List<String> args = new ArrayList<>(List.of(command));
    try {
      Process process = new ProcessBuilder(args).redirectErrorStream(true).start();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", args) + ": no exit within 30 s");
      }
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            String.join(" ", args) + " failed (exit " + process.exitValue() + "): " + output
                + " (the disk fault tests need root to mount a small tmpfs)");
      }
    } catch (IOException e) {
      throw new IllegalStateException(String.join(" ", args) + " cannot run: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(String.join(" ", args) + " interrupted", e);
    }
  }
}
