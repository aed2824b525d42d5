package dev.extproc.stack;

import java.net.URI;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One ext_proc server process of a {@link LocalStack}, an endpoint of Envoy's {@code ext_proc}
 * cluster. Its ports stay the same across restarts, because Envoy's configuration is static. The
 * stack starts, stops and kills it ({@link LocalStack#killExtProcReplica(int)} ...); this object only
 * tells where it is and whether it runs. Safe to read from any thread.
 */
public final class ExtProcReplica {

  private final int index;
  private volatile ManagedProcess process;
  private volatile int grpcPort;
  private volatile int adminPort;
  private volatile ExtProcAdmin admin;

  ExtProcReplica(int index) {
    this.index = index;
  }

  /** 0 for the first replica, which is also the stack's "ext_proc server". */
  public int index() {
    return index;
  }

  /** {@code extproc} for replica 0 (as with one server), {@code extproc-<index>} for the others: names its log and ready file. */
  public String name() {
    return index == 0 ? "extproc" : "extproc-" + index;
  }

  /** The bound gRPC port (0 before the first start completes). */
  public int grpcPort() {
    return grpcPort;
  }

  /** The bound admin port (0 before the first start completes). */
  public int adminPort() {
    return adminPort;
  }

  /** The admin client of this replica. */
  public ExtProcAdmin admin() {
    if (admin == null) {
      throw new IllegalStateException(name() + " has not started yet");
    }
    return admin;
  }

  /** The current (or last) process. */
  public Optional<ManagedProcess> process() {
    return Optional.ofNullable(process);
  }

  /** The pid while the process is alive. */
  public OptionalLong pid() {
    ManagedProcess p = process;
    return p == null || !p.isAlive() ? OptionalLong.empty() : OptionalLong.of(p.pid());
  }

  /** Whether the process is alive. */
  public boolean isAlive() {
    ManagedProcess p = process;
    return p != null && p.isAlive();
  }

  /** The gRPC address as Envoy's admin {@code /clusters} names the host: {@code 127.0.0.1:<port>}. */
  public String envoyHostName() {
    return LocalStack.HOST + ":" + grpcPort;
  }

  void started(ManagedProcess process) {
    this.process = process;
  }

  void ready(int grpcPort, int adminPort) {
    this.grpcPort = grpcPort;
    this.adminPort = adminPort;
    this.admin = new ExtProcAdmin(URI.create("http://" + LocalStack.HOST + ":" + adminPort));
  }

  @Override
  public String toString() {
    return name() + "[grpc " + grpcPort + ", admin " + adminPort + ", " + (isAlive() ? "pid " + process.pid() : "not running") + "]";
  }
}
