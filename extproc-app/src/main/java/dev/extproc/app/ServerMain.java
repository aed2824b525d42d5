package dev.extproc.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the server jar ({@code extproc-server.jar}): only {@code server}, with the same
 * options as {@code extproc server}. The jar leaves out the local stack, the echo backend and the
 * benchmark (with its charting), so it is the one to deploy; {@code extproc.jar} keeps every command.
 */
@Command(
    name = "extproc",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "The ext_proc server (demo, up, bench, echo and media are in extproc.jar, behind ./extproc).",
    subcommands = {ServerCommand.class, CommandLine.HelpCommand.class})
public final class ServerMain implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ServerMain()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
