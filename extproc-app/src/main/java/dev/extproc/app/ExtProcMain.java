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
      LlmStubCommand.class,
      FuzzCommand.class,
      CommandLine.HelpCommand.class
    })
public final class ExtProcMain implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    dev.extproc.server.JulBridge.install(); // grpc-java's JDK logging goes through SLF4J in every command
    System.exit(newCommandLine().execute(args));
  }

  /** Returns the command line with every subcommand, for {@link #main} and for tests. */
  public static CommandLine newCommandLine() {
    return new CommandLine(new ExtProcMain()).setCaseInsensitiveEnumValuesAllowed(true)
        .setParameterExceptionHandler(ExtProcMain::usageError);
  }

  /** A usage error in one line plus a hint, not the whole usage; exit code 2. */
  private static int usageError(CommandLine.ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    java.io.PrintWriter err = command.getErr();
    err.println(command.getCommandName().equals("extproc") ? "extproc: " + e.getMessage()
        : "extproc " + command.getCommandName() + ": " + e.getMessage());
    err.println("Try '" + command.getCommandSpec().qualifiedName() + " --help' for the options.");
    err.flush();
    return 2;
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
