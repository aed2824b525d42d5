package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.stream.ChunkedNioFile;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Sends N concurrent HTTP/1.1 uploads like curl does ({@code Content-Length}, one connection each, no
 * {@code Expect: 100-continue}) and verifies every response by SHA-256 as it arrives.
 *
 * <p>Back-pressure both ways: the body is read from the file one chunk at a time and only while the
 * socket is writable ({@link ChunkedWriteHandler}); response bytes are digested and released as they
 * arrive, so neither a body nor a response is ever held whole in memory.
 */
public final class UploadDriver {

  private final EventLoopGroup group;

  /**
   * Creates a driver on an event loop group the caller owns (and shuts down).
   */
  public UploadDriver(EventLoopGroup group) {
    this.group = requireNonNull(group, "group");
  }

  /** Live byte counters of a running batch, for a progress display. */
  public static final class Progress {
    private final AtomicLongArray sent;
    private final AtomicLongArray received;
    private final long bodyBytes;
    private final long expectedBytes;

    Progress(int concurrency, long bodyBytes, long expectedBytes) {
      this.sent = new AtomicLongArray(concurrency);
      this.received = new AtomicLongArray(concurrency);
      this.bodyBytes = bodyBytes;
      this.expectedBytes = expectedBytes;
    }

    /** Returns the number of uploads. */
    public int streams() {
      return sent.length();
    }

    /** Returns the request body bytes upload {@code i} has read from its file and written. */
    public long sent(int i) {
      return sent.get(i);
    }

    /** Returns the response body bytes upload {@code i} has received. */
    public long received(int i) {
      return received.get(i);
    }

    /** Returns the request body size of each upload. */
    public long bodyBytes() {
      return bodyBytes;
    }

    /** Returns the expected response size of each upload. */
    public long expectedBytes() {
      return expectedBytes;
    }
  }

  /**
   * Starts a batch; the returned {@link Batch} tells progress and completes when every upload ended.
   */
  public Batch start(UploadSpec spec) {
    requireNonNull(spec, "spec");
    return new Batch(spec);
  }

  /** A running batch of uploads. */
  public final class Batch {
    private final UploadSpec spec;
    private final Progress progress;
    private final List<CompletableFuture<UploadResult>> results = new ArrayList<>();
    private final List<Channel> channels = new ArrayList<>();
    private final long startNanos = System.nanoTime();

    private Batch(UploadSpec spec) {
      this.spec = spec;
      this.progress = new Progress(spec.concurrency(), spec.bodyBytes(), spec.expected().length());
      for (int i = 0; i < spec.concurrency(); i++) {
        CompletableFuture<UploadResult> result = new CompletableFuture<>();
        results.add(result);
        connect(i, result);
      }
    }

    /** Returns the live counters. */
    public Progress progress() {
      return progress;
    }

    private void connect(int index, CompletableFuture<UploadResult> result) {
      UploadHandler handler = new UploadHandler(index, spec, progress, result);
      Bootstrap bootstrap = new Bootstrap()
          .group(group)
          .channel(NioSocketChannel.class)
          .option(ChannelOption.TCP_NODELAY, true)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(new HttpClientCodec(), new ChunkedWriteHandler(), handler);
            }
          });
      ChannelFuture connect = bootstrap.connect(spec.target().getHost(), spec.target().getPort());
      synchronized (channels) {
        channels.add(connect.channel());
      }
      connect.addListener(f -> {
        if (!f.isSuccess()) {
          handler.fail("connect to " + spec.target() + " failed: " + f.cause());
        }
      });
    }

    /**
     * Waits for every upload; uploads still running when the spec's timeout expires are closed and fail.
     */
    public UploadRun await() throws InterruptedException {
      long deadline = startNanos + spec.timeout().toNanos();
      CompletableFuture<Void> all = CompletableFuture.allOf(results.toArray(CompletableFuture[]::new));
      try {
        all.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        synchronized (channels) {
          channels.forEach(Channel::close);
        }
        for (int i = 0; i < results.size(); i++) {
          results.get(i).complete(new UploadResult(i, 0, System.nanoTime() - startNanos, -1,
              progress.sent(i), progress.received(i), false, "timed out after " + spec.timeout()));
        }
      } catch (ExecutionException e) {
        throw new IllegalStateException("an upload future failed instead of reporting its failure", e.getCause());
      }
      List<UploadResult> done = results.stream().map(CompletableFuture::join).toList();
      long end = System.nanoTime();
      return new UploadRun(done, end - startNanos);
    }
  }

  /** One upload on one connection; all its methods run on the channel's event loop. */
  private static final class UploadHandler extends SimpleChannelInboundHandler<HttpObject> {
    private final int index;
    private final UploadSpec spec;
    private final Progress progress;
    private final CompletableFuture<UploadResult> result;
    private final MessageDigest digest = Digests.newSha256();
    private final long startNanos = System.nanoTime();
    private long firstByteNanos = -1;
    private int status;
    private long received;
    private HttpChunkedInput body;
    private String writeError;
    private ScheduledFuture<?> progressTask;

    UploadHandler(int index, UploadSpec spec, Progress progress, CompletableFuture<UploadResult> result) {
      this.index = index;
      this.spec = spec;
      this.progress = progress;
      this.result = result;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws IOException {
      HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, pathOf(spec));
      head.headers()
          .set(HttpHeaderNames.HOST, spec.target().getHost() + ":" + spec.target().getPort())
          .set(HttpHeaderNames.CONTENT_TYPE, "video/mp4")
          .set(HttpHeaderNames.CONTENT_LENGTH, spec.bodyBytes())
          .set(HttpHeaderNames.ACCEPT, "*/*");
      FileChannel file = FileChannel.open(spec.bodyFile(), StandardOpenOption.READ);
      // ChunkedWriteHandler closes the input (and so the file) when it is done, fails, or the channel closes.
      body = new HttpChunkedInput(new ChunkedNioFile(file, 0, spec.bodyBytes(), spec.chunkBytes()));
      ctx.write(head);
      ctx.writeAndFlush(body).addListener(f -> {
        if (!f.isSuccess()) {
          writeError = "request body write failed after " + sent() + " bytes: " + f.cause();
        }
        progress.sent.set(index, sent());
      });
      progressTask = ctx.executor().scheduleAtFixedRate(() -> progress.sent.set(index, sent()), 100, 100, TimeUnit.MILLISECONDS);
      ctx.fireChannelActive();
    }

    private long sent() {
      return body == null ? 0 : body.progress();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (result.isDone()) {
        return;
      }
      if (msg instanceof HttpResponse response) {
        firstByteNanos = System.nanoTime() - startNanos;
        status = response.status().code();
      }
      if (msg instanceof HttpContent content) {
        ByteBuf buf = content.content();
        if (buf.isReadable()) {
          for (ByteBuffer nio : buf.nioBuffers()) {
            digest.update(nio);
          }
          received += buf.readableBytes();
          progress.received.set(index, received);
        }
        if (msg instanceof LastHttpContent) {
          finish(ctx);
        }
      }
    }

    private void finish(ChannelHandlerContext ctx) {
      byte[] actual = digest.digest();
      String error = null;
      if (status != 200) {
        error = "HTTP " + status + " (expected: 200)";
      } else if (received != spec.expected().length()) {
        error = "response body " + received + " bytes (expected: " + spec.expected() + ")";
      } else if (!Arrays.equals(actual, spec.expected().sha256())) {
        error = "response body sha256 " + Digests.hex(actual) + " (expected: " + spec.expected() + ")";
      } else if (sent() != spec.bodyBytes()) {
        error = "response ended after " + sent() + " request bytes (expected: " + spec.bodyBytes() + ")";
      }
      complete(error);
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      fail("connection closed after " + received + " response bytes"
          + (status == 0 ? " and no response head" : " (HTTP " + status + ")")
          + (writeError == null ? "" : "; " + writeError));
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      fail("connection error: " + cause);
      ctx.close();
    }

    void fail(String error) {
      complete(error);
    }

    private void complete(String error) {
      if (result.isDone()) {
        return;
      }
      if (progressTask != null) {
        progressTask.cancel(false);
      }
      progress.sent.set(index, sent());
      result.complete(new UploadResult(index, status, System.nanoTime() - startNanos, firstByteNanos,
          sent(), received, error == null, error));
    }
  }

  private static String pathOf(UploadSpec spec) {
    String path = spec.target().getRawPath();
    if (path == null || path.isEmpty()) {
      path = "/";
    }
    return spec.target().getRawQuery() == null ? path : path + "?" + spec.target().getRawQuery();
  }
}
