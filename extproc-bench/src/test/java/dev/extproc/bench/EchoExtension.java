package dev.extproc.bench;

import dev.extproc.echo.EchoMode;
import dev.extproc.echo.EchoServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Starts echo servers and a client event loop group on demand; stops them all after each test. */
final class EchoExtension implements AfterEachCallback {

  private final List<EchoServer> servers = new ArrayList<>();
  private EventLoopGroup group;

  /** Starts an echo server on an ephemeral loopback port and returns {@code http://127.0.0.1:<port>}. */
  URI start(EchoMode mode) {
    EchoServer server = EchoServer.builder().host("127.0.0.1").port(0).mode(mode).build();
    servers.add(server);
    return URI.create("http://127.0.0.1:" + server.start());
  }

  EventLoopGroup group() {
    if (group == null) {
      group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    }
    return group;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    servers.forEach(EchoServer::close);
    servers.clear();
    if (group != null) {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
      group = null;
    }
  }
}
