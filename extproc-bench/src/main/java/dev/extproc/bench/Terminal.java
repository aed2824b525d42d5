package dev.extproc.bench;

import java.io.Console;
import java.lang.reflect.Method;
import java.util.Map;

/** Whether the command talks to a person at a terminal (progress lines, cursor codes) or to a log/CI. */
public final class Terminal {

  /** What a log line starts with on a terminal: back to column 0, clear the line (a progress line). */
  public static final String CLEAR_LINE = "\r\033[K";

  private Terminal() {}

  /**
   * Returns whether stdout/stderr are an interactive terminal and {@code CI} is not {@code true}.
   * On Java 22+ {@link System#console()} exists even when output is redirected, so its {@code
   * isTerminal()} is asked too.
   */
  public static boolean interactive(Map<String, String> env) {
    if ("true".equalsIgnoreCase(env.getOrDefault("CI", ""))) {
      return false;
    }
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      Method isTerminal = Console.class.getMethod("isTerminal");
      return (Boolean) isTerminal.invoke(console);
    } catch (NoSuchMethodException e) {
      return true; // Java 17-21: a console exists only on a terminal
    } catch (ReflectiveOperationException e) {
      return false;
    }
  }
}
