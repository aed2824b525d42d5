package dev.extproc.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code extproc} command: one entry point, one subcommand per part of the system. */
@Command(
    name = "extproc",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Streaming body processing for Envoy's ext_proc filter, with bounded memory.",
    subcommands = {
      ServerCommand.class,
      EchoCommand.class,
      DemoCommand.class,
      UpCommand.class,
      BenchCommand.class,
      MediaCommand.class,
      FuzzCommand.class,
      CommandLine.HelpCommand.class
    })
public final class ExtProcMain implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(newCommandLine().execute(args));
  }

  /** Returns the command line with every subcommand, for {@link #main} and for tests. */
  public static CommandLine newCommandLine() {
    return new CommandLine(new ExtProcMain()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
