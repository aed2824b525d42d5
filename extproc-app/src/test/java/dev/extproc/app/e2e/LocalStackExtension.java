package dev.extproc.app.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.extproc.stack.ExtProcFilterStats;
import dev.extproc.stack.LocalStack;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts one {@link LocalStack} (echo backend, ext_proc server, real Envoy, all on loopback with
 * ephemeral ports) per test class, configured by {@link StackConfig}, and stops it whatever
 * happens. Test methods get it as an {@link E2eStack} parameter.
 *
 * <p>After each test it checks that nothing is left behind: the ext_proc server holds no stream and
 * no body byte (waited for, bounded), and, unless the test is marked {@link ExpectsExtProcErrors},
 * that Envoy's ext_proc filter counted no spurious message, failed stream, message timeout,
 * rejected header mutation or fail-open during the test. Missing Envoy fails the class with the
 * stack's message saying how to install it; nothing is skipped.
 */
final class LocalStackExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {

  /** How long the ext_proc server may take to release everything after an exchange ended. */
  static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(10);

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(LocalStackExtension.class);
  private static final String STACK = "stack";
  private static final String BEFORE = "before";

  /** Envoy's and the ext_proc server's counters when a test started. */
  private record Snapshot(ExtProcFilterStats envoy, Map<String, Long> server) {}

  @Override
  public void beforeAll(ExtensionContext context) {
    StackConfig config = context.getRequiredTestClass().getAnnotation(StackConfig.class);
    LocalStack.Builder builder = LocalStack.builder();
    if (config != null) {
      builder.echoArgs(Arrays.asList(config.echoArgs()))
          .serverArgs(Arrays.asList(config.serverArgs()))
          .echoProtocol(config.echoProtocol());
      if (config.serverJvmOptions().length > 0) {
        builder.serverJvmOptions(Arrays.asList(config.serverJvmOptions()));
      }
    }
    E2eStack stack = new E2eStack(builder.build());
    context.getStore(NAMESPACE).put(STACK, stack);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    E2eStack stack = context.getStore(NAMESPACE).remove(STACK, E2eStack.class);
    if (stack != null) {
      stack.close();
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    E2eStack stack = stack(context);
    ensureExtProcServerRunning(stack);
    context.getStore(NAMESPACE).put(BEFORE, new Snapshot(stack.envoyExtProcStats(), stack.serverStats()));
  }

  @Override
  public void afterEach(ExtensionContext context) {
    E2eStack stack = stack(context);
    if (context.getExecutionException().isPresent()) {
      LocalStack failed = stack.stack();
      failed.keepLogDir();
      System.err.println(context.getDisplayName() + " failed; stack logs kept in " + failed.logDir()
          + "; Envoy log tail:\n" + failed.envoyProcess().logTail(30)
          + failed.extProcProcess().map(p -> "\next_proc server log tail:\n" + p.logTail(30)).orElse(""));
    }
    ensureExtProcServerRunning(stack);
    awaitServerHoldsNothing(stack);
    if (context.getRequiredTestMethod().isAnnotationPresent(ExpectsExtProcErrors.class)) {
      return;
    }
    Snapshot before = context.getStore(NAMESPACE).get(BEFORE, Snapshot.class);
    ExtProcFilterStats after = stack.envoyExtProcStats();
    ExtProcFilterStats was = before.envoy();
    assertThat(new long[] {
          after.spuriousMsgsReceived() - was.spuriousMsgsReceived(),
          after.streamsFailed() - was.streamsFailed(),
          after.messageTimeouts() - was.messageTimeouts(),
          after.rejectedHeaderMutations() - was.rejectedHeaderMutations(),
          after.failureModeAllowed() - was.failureModeAllowed()})
        .as("Envoy ext_proc counters during the test [spurious_msgs_received, streams_failed, message_timeouts,"
            + " rejected_header_mutations, failure_mode_allowed] (before: %s, after: %s; logs: %s)",
            was, after, stack.stack().logDir())
        .containsExactly(0, 0, 0, 0, 0);
    Map<String, Long> server = stack.serverStats();
    assertThat(delta(server, before.server(), "streams_failed") + delta(server, before.server(), "protocol_errors"))
        .as("ext_proc server streams_failed + protocol_errors during the test (now: %s)", server)
        .isZero();
  }

  /** Waits (bounded) until the ext_proc server has no active stream and holds no body byte. */
  static void awaitServerHoldsNothing(E2eStack stack) {
    Awaitility.await("the ext_proc server releases every stream and byte")
        .atMost(RELEASE_TIMEOUT)
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(() -> {
          Map<String, Long> stats = stack.serverStats();
          assertThat(stats).as("ext_proc server stats").containsEntry("active_streams", 0L).containsEntry("bytes_held", 0L);
        });
  }

  static long delta(Map<String, Long> after, Map<String, Long> before, String name) {
    return after.getOrDefault(name, 0L) - before.getOrDefault(name, 0L);
  }

  /** A test that stopped or killed the ext_proc server and failed before restarting it leaves it down. */
  private static void ensureExtProcServerRunning(E2eStack stack) {
    if (stack.stack().extProcPid().isEmpty()) {
      stack.stack().startExtProcServer();
    }
  }

  private static E2eStack stack(ExtensionContext context) {
    E2eStack stack = context.getStore(NAMESPACE).get(STACK, E2eStack.class);
    if (stack == null) {
      throw new IllegalStateException("no stack for " + context.getDisplayName() + " (beforeAll did not run or failed)");
    }
    return stack;
  }

  @Override
  public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
    return parameterContext.getParameter().getType() == E2eStack.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
    return stack(extensionContext);
  }
}
