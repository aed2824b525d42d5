package dev.extproc.app;

import dev.extproc.processors.media.TestMedia;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code extproc media}: generates the seed's test media files deterministically. */
@Command(
    name = "media",
    mixinStandardHelpOptions = true,
    description = "Generates the seed's test media deterministically: input.mp4 (73,819,750 bytes), "
        + "request-replacement.mp4 (81,788,928 bytes) and response-replacement.mp4 (22,963,814 bytes), "
        + "pseudo-random bytes from fixed seeds. Files already there with the right content are kept. "
        + "Prints path, size and SHA-256 of each.")
final class MediaCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--dir", required = true, description = "Directory to write the files into (created when missing).")
  Path dir;

  @Option(names = "--scale", defaultValue = "1.0", description = "Multiplies every size, e.g. 0.01 for quick tests (default: ${DEFAULT-VALUE}).")
  double scale;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!(scale > 0) || Double.isInfinite(scale)) {
      err.println("extproc media: --scale: " + scale + " (expected: > 0)");
      err.flush();
      return 2;
    }
    List<TestMedia.MediaFile> files;
    try {
      files = TestMedia.ensure(dir, scale);
    } catch (IOException e) {
      err.println("extproc media: cannot write the media into " + dir + ": " + e);
      err.flush();
      return 1;
    }
    for (TestMedia.MediaFile file : files) {
      out.printf("%s %d bytes sha256=%s %s%n",
          file.path(), file.sizeBytes(), file.sha256(), file.generated() ? "generated" : "kept");
    }
    out.flush();
    return 0;
  }
}
