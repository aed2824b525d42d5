package dev.extproc.app.e2e;

import dev.extproc.stack.EnvoyEndpoints;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * How {@link LocalStackExtension} builds the test class's stack; without it: the pass-through
 * processor, the streaming echo backend over HTTP/1.1, default Envoy tuning.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@interface StackConfig {
  /** Extra arguments of {@code extproc echo}, e.g. a fault option. */
  String[] echoArgs() default {};

  /** Extra arguments of {@code extproc server}. */
  String[] serverArgs() default {};

  /** JVM options of the ext_proc server; empty: the stack's default. */
  String[] serverJvmOptions() default {};

  /** The protocol Envoy speaks to the echo backend. */
  EnvoyEndpoints.UpstreamProtocol echoProtocol() default EnvoyEndpoints.UpstreamProtocol.HTTP1;
}
