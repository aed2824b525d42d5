package dev.extproc.stack;

/**
 * The ports of a {@link LocalStack}. Asked for with 0 = "pick one" (the default for tests); read back
 * from {@link LocalStack#ports()} as the real, bound ports.
 *
 * @param listener Envoy listener with the ext_proc filter
 * @param baseline Envoy listener without ext_proc
 * @param envoyAdmin Envoy admin endpoint
 * @param echo echo backend (HTTP)
 * @param extProc ext_proc server (gRPC)
 * @param extProcAdmin ext_proc server's admin HTTP port
 */
public record StackPorts(int listener, int baseline, int envoyAdmin, int echo, int extProc, int extProcAdmin) {

  public StackPorts {
    check("listener", listener);
    check("baseline", baseline);
    check("envoyAdmin", envoyAdmin);
    check("echo", echo);
    check("extProc", extProc);
    check("extProcAdmin", extProcAdmin);
  }

  /** Every port picked by the system: what tests use, so that runs never collide. */
  public static StackPorts ephemeral() {
    return new StackPorts(0, 0, 0, 0, 0, 0);
  }

  /** The seed's ports: 18080, 19090, admin 9901, echo 8688, ext_proc 9001, its admin 9002. */
  public static StackPorts seedDefaults() {
    return new StackPorts(EnvoyEndpoints.LISTENER_PORT, EnvoyEndpoints.BASELINE_PORT, EnvoyEndpoints.ADMIN_PORT,
        EnvoyEndpoints.ECHO_PORT, EnvoyEndpoints.EXT_PROC_PORT, 9002);
  }

  private static void check(String name, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(name + ": " + port + " (expected: 0..65535)");
    }
  }
}
