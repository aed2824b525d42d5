package dev.extproc.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code extproc media}: Generates the seed's test media files deterministically. */
@Command(name = "media", mixinStandardHelpOptions = true, description = "Generates the seed's test media files deterministically.")
final class MediaCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("extproc media: not implemented yet");
    return 2;
  }
}
