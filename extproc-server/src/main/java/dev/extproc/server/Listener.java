package dev.extproc.server;

import static java.util.Objects.requireNonNull;

import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Where the gRPC server listens: a TCP address, or a Unix domain socket path (Linux, epoll). A
 * UDS listener replaces the socket file of a previous run, refuses to replace anything that is not
 * a socket, gives the socket mode {@code 0660} (owner and group may connect) and removes it on
 * close.
 */
public final class Listener {
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;

  private final @Nullable InetSocketAddress tcp;
  private final @Nullable Path uds;
  private @Nullable EventLoopGroup udsGroup;

  private Listener(@Nullable InetSocketAddress tcp, @Nullable Path uds) {
    this.tcp = tcp;
    this.uds = uds;
  }

  /** A TCP listener on {@code host:port}; port 0 picks a free one. */
  public static Listener tcp(String host, int port) {
    requireNonNull(host, "host");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
    }
    return new Listener(new InetSocketAddress(host, port), null);
  }

  /** A Unix domain socket listener at {@code path}. */
  public static Listener uds(Path path) {
    return new Listener(null, requireNonNull(path, "path").toAbsolutePath());
  }

  /** Returns the socket path of a UDS listener, or null for TCP. */
  public @Nullable Path udsPath() {
    return uds;
  }

  /** Checks what can be checked before binding; throws IllegalArgumentException naming the rule broken. */
  void validate() {
    if (uds == null) {
      return;
    }
    Path dir = uds.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new IllegalArgumentException("uds: " + uds + ": directory " + dir + " does not exist (expected: a path in an existing directory)");
    }
    if (!Files.isWritable(dir)) {
      throw new IllegalArgumentException("uds: " + uds + ": directory " + dir + " is not writable (expected: a path in a writable directory)");
    }
    if (uds.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107) {
      throw new IllegalArgumentException("uds: " + uds + ": path too long (expected: at most 107 bytes, the kernel's limit)");
    }
    if (Files.exists(uds, LinkOption.NOFOLLOW_LINKS) && !isSocket(uds)) {
      throw new IllegalArgumentException("uds: " + uds + ": exists and is not a socket (expected: a free path or a stale socket)");
    }
    if (!Epoll.isAvailable()) {
      throw new IllegalArgumentException("uds: " + uds + ": Unix domain sockets need Linux with epoll ("
          + Epoll.unavailabilityCause() + ")");
    }
  }

  /** Returns a gRPC server builder bound to this listener with {@code credentials}. */
  // EpollEventLoopGroup is deprecated in the Netty that grpc-netty-shaded carries, but it is the only
  // event loop group that shaded Netty offers for epoll domain sockets.
  @SuppressWarnings("deprecation")
  NettyServerBuilder newServerBuilder(ServerCredentials credentials) throws IOException {
    if (uds == null) {
      return NettyServerBuilder.forAddress(tcp, credentials);
    }
    Files.deleteIfExists(uds); // a stale socket of a previous run: validate() refused anything else
    udsGroup = new EpollEventLoopGroup(1);
    return NettyServerBuilder.forAddress(new DomainSocketAddress(uds.toString()), credentials)
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(udsGroup)
        .workerEventLoopGroup(udsGroup);
  }

  /** Called once the server listens: sets the socket's mode. */
  void started() throws IOException {
    if (uds != null) {
      Files.setPosixFilePermissions(uds, PosixFilePermissions.fromString("rw-rw----"));
    }
  }

  /** Called after the server terminated: removes the socket file and stops the UDS event loop. */
  void closed() {
    if (uds == null) {
      return;
    }
    try {
      Files.deleteIfExists(uds);
    } catch (IOException e) {
      // Left behind: the next start replaces a stale socket anyway.
    }
    if (udsGroup != null) {
      udsGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
  }

  @Override
  public String toString() {
    return uds != null ? "unix:" + uds : tcp.getHostString() + ":" + tcp.getPort();
  }

  private static boolean isSocket(Path path) {
    try {
      int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      return (mode & S_IFMT) == S_IFSOCK;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}
