package dev.extproc.app.e2e;

import static java.util.Objects.requireNonNull;

import dev.extproc.stack.ExtProcFilterStats;
import dev.extproc.stack.LocalStack;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;

/**
 * What an end-to-end test works with: the class's {@link LocalStack} (echo backend, ext_proc
 * server, Envoy) and one client per protocol. Made and closed by {@link LocalStackExtension}.
 */
final class E2eStack implements AutoCloseable {

  private final LocalStack stack;
  private final Map<Protocol, TestHttpClient> clients;

  E2eStack(LocalStack stack) {
    this.stack = requireNonNull(stack, "stack");
    this.clients = Map.of(Protocol.HTTP_1_1, TestHttpClient.of(Protocol.HTTP_1_1), Protocol.HTTP_2, TestHttpClient.of(Protocol.HTTP_2));
  }

  LocalStack stack() {
    return stack;
  }

  TestHttpClient client(Protocol protocol) {
    return clients.get(protocol);
  }

  /** Envoy's listener with the ext_proc filter. */
  InetSocketAddress extProcListener() {
    return address(stack.extProcUri());
  }

  /** Envoy's baseline listener (no ext_proc). */
  InetSocketAddress baselineListener() {
    return address(stack.baselineUri());
  }

  /** Sends {@code request} through the ext_proc listener with the {@code protocol} client. */
  TestResponse viaExtProc(Protocol protocol, TestRequest request) {
    return client(protocol).exchange(extProcListener(), request);
  }

  /** Envoy's ext_proc filter counters right now. */
  ExtProcFilterStats envoyExtProcStats() {
    return stack.envoyAdmin().extProcStats();
  }

  /** The ext_proc server's own counters right now (docs/interfaces.md names). */
  Map<String, Long> serverStats() {
    return stack.extProcAdmin().stats();
  }

  private static InetSocketAddress address(URI uri) {
    return new InetSocketAddress(uri.getHost(), uri.getPort());
  }

  @Override
  public void close() {
    try {
      clients.values().forEach(TestHttpClient::close);
    } finally {
      stack.close();
    }
  }
}
