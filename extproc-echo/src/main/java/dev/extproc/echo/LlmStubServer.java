package dev.extproc.echo;

import static java.util.Objects.requireNonNull;

import dev.extproc.sse.LlmFormat;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A synthetic LLM upstream for tests and demos: answers every POST with a {@code
 * text/event-stream} of {@code events} content events in one {@link LlmFormat} (the configured
 * one, or the one the request path's last segment names, as in {@code /v1/anthropic}; a last
 * segment {@code json} asks for a whole non-streaming JSON answer and {@code media} for 256 KiB of
 * opaque bytes), paced at {@code
 * ratePerSecond} (0: as fast as the client reads), the usage at the end. HTTP/1.1, chunked. The
 * answer is made one event at a time and written only while the connection is writable, so a
 * stream of any length costs one event of memory. {@code GET /healthz} answers {@code ok}. A
 * request with {@code te: trailers} gets its stream ended with trailer {@link #EVENTS_TRAILER}
 * (the number of content events), so that trailers can be tested; LLM APIs send none. The query
 * parameters {@code events} and {@code rate} override the settings for one answer
 * ({@code /v1/chat/completions?events=500&rate=50}); bad values get a 400.
 *
 * <p>{@link #start()} and {@link #close()} may be called from any thread except the event loop.
 */
public final class LlmStubServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LlmStubServer.class);

  /** The trailer ending a stream whose request said {@code te: trailers}: the number of content events. */
  public static final String EVENTS_TRAILER = "llm-stub-events";

  /**
   * What the stub answers.
   *
   * @param splitSeed 0 to write each event whole; otherwise the seed of random splits of every
   *     event into pieces of 1 to 512 bytes, each flushed alone (so the events cross HTTP chunks)
   */
  public record Settings(LlmFormat format, int events, double ratePerSecond, String model, long inputTokens,
      long splitSeed) {
    public Settings {
      requireNonNull(format, "format");
      requireNonNull(model, "model");
      if (events < 0) {
        throw new IllegalArgumentException("events: " + events + " (expected: >= 0)");
      }
      if (!(ratePerSecond >= 0) || Double.isInfinite(ratePerSecond)) {
        throw new IllegalArgumentException("rate: " + ratePerSecond + " (expected: events per second >= 0; 0 = unpaced)");
      }
    }

    /** Settings that write every event whole. */
    public Settings(LlmFormat format, int events, double ratePerSecond, String model, long inputTokens) {
      this(format, events, ratePerSecond, model, inputTokens, 0);
    }
  }

  private final String host;
  private final int port;
  private final Settings settings;
  private EventLoopGroup group;
  private Channel serverChannel;

  public LlmStubServer(String host, int port, Settings settings) {
    this.host = requireNonNull(host, "host");
    this.port = port;
    this.settings = requireNonNull(settings, "settings");
  }

  /** Binds and serves; returns the bound port (the ephemeral one when the port is 0). */
  public synchronized int start() {
    if (group != null) {
      throw new IllegalStateException("llm stub: already started");
    }
    group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("extproc-llm-stub"), NioIoHandler.newFactory());
    try {
      serverChannel = new ServerBootstrap()
          .group(group)
          .channel(NioServerSocketChannel.class)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(new HttpServerCodec(), new LlmStubHandler(settings));
            }
          })
          .bind(host, port).syncUninterruptibly().channel();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    int bound = ((InetSocketAddress) serverChannel.localAddress()).getPort();
    log.info("llm stub listening host={} port={} format={} events={} rate={}/s", host, bound,
        settings.format().flag(), settings.events(), settings.ratePerSecond());
    return bound;
  }

  /** Stops listening and closes every connection; returns once the threads are gone. Idempotent. */
  @Override
  public synchronized void close() {
    if (serverChannel != null) {
      serverChannel.close().syncUninterruptibly();
      serverChannel = null;
    }
    if (group != null) {
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
      group = null;
    }
  }
}
