package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How a scenario wants the stack for one route: the echo backend's mode, the ext_proc server's processor
 * options, and where the server should write a JFR recording (when the environment starts the server).
 *
 * @param aggregatingEcho whether the echo backend aggregates the whole body before answering (the seed's echo)
 * @param processorArgs the ext_proc server's processor options, such as {@code --processor delay --delay 1ms}
 * @param jfrFile where the ext_proc server writes its JFR recording on exit, or null for none
 * @param jfrSettings the JFR settings ({@code default} or {@code profile}) when {@code jfrFile} is set
 */
public record StackSettings(boolean aggregatingEcho, List<String> processorArgs, Path jfrFile, String jfrSettings) {

  /** Copies. */
  public StackSettings {
    processorArgs = List.copyOf(requireNonNull(processorArgs, "processorArgs"));
    if (jfrFile != null) {
      requireNonNull(jfrSettings, "jfrSettings");
    }
  }

  /** Returns the JVM options that make the server record JFR to {@link #jfrFile}, or none. */
  public List<String> serverJvmOptions() {
    List<String> options = new ArrayList<>();
    if (jfrFile != null) {
      options.add("-XX:StartFlightRecording=filename=" + jfrFile.toAbsolutePath() + ",settings=" + jfrSettings
          + ",dumponexit=true");
    }
    return options;
  }
}
