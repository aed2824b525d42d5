package dev.extproc.stack;

import java.time.Duration;
import java.util.Objects;

/**
 * The Envoy settings that bound memory and time, rendered into the Envoy configuration. Each
 * default is chosen to keep Envoy's memory per HTTP stream small and known; docs/envoy.md explains
 * each one, and the benchmark varies them to measure their effect.
 *
 * @param listenerBufferLimitBytes both listeners' {@code per_connection_buffer_limit_bytes}; also the
 *     per-stream buffer limit of the HTTP connection manager. Default 1 MiB (Envoy's own default):
 *     caps BUFFERED bodies on routes that do not raise it, the STREAMED queue of unanswered chunks
 *     (per direction) before the client is read-disabled, and a BUFFERED_PARTIAL chunk.
 * @param echoBufferLimitBytes the echo cluster's {@code per_connection_buffer_limit_bytes}. Default
 *     1 MiB: how far Envoy reads the backend's response ahead of a slow downstream.
 * @param extProcBufferLimitBytes the ext_proc cluster's {@code per_connection_buffer_limit_bytes}.
 *     Default 256 KiB: above this many queued bytes on a side stream, Envoy's side-stream watermark
 *     read-disables that HTTP stream's downstream and upstream. In FULL_DUPLEX_STREAMED this is the
 *     only brake (no ext_proc queue, no per-message timer), so it is kept well below the listener's.
 * @param extProcHttp2StreamWindowBytes the ext_proc cluster's HTTP/2 {@code initial_stream_window_size}.
 *     Default 256 KiB instead of Envoy's 16 MiB: what the processor may send on one stream before
 *     Envoy has consumed it, and the soft per-stream limit of Envoy's codec buffers on that cluster.
 * @param extProcHttp2ConnectionWindowBytes the ext_proc cluster's {@code initial_connection_window_size}.
 *     Default 4 MiB: room for about 16 streams at full window, since all side streams of a worker share
 *     one connection (a smaller value would let one slow client stall the others' replies).
 * @param extProcMaxConcurrentStreams the ext_proc cluster's HTTP/2 {@code max_concurrent_streams}: side
 *     streams per connection to the processor. Default 16: 16 streams at the 256 KiB stream window fill
 *     the 4 MiB connection window, so replies Envoy holds back on some streams (a read-disabled stream
 *     keeps its window) leave room for the others; a connection the server closes takes at most 16
 *     exchanges with it. A grpc-java server refills its connection window as frames arrive, so it needs
 *     no limit of its own. Measured against 1 (the previous default, a connection per side stream:
 *     more Envoy memory, and fewer responses verified at 50 and 200 concurrent uploads) and unlimited
 *     (docs/benchmarks.md, "Many concurrent streams (c=50, c=200)").
 * @param http2StreamWindowBytes downstream (both listeners) and HTTP/2-upstream stream windows.
 *     Default 1 MiB, equal to the listener buffer limit, instead of 16 MiB.
 * @param http2ConnectionWindowBytes downstream and HTTP/2-upstream connection windows. Default 4 MiB.
 * @param bufferedRouteBufferLimitBytes the {@code /buffered} route's {@code request_body_buffer_limit}.
 *     Default 17 MiB: 16 MiB bodies fit in BUFFERED mode, with room, and no more; this is the most
 *     Envoy holds for one BUFFERED exchange per direction.
 * @param messageTimeout ext_proc {@code message_timeout}. Default 30 s: Envoy's 200 ms is too short for
 *     a STREAMED reply to a large aggregated first chunk or a processor writing to disk; finite so a
 *     stuck processor gives a 504. Not used in FULL_DUPLEX_STREAMED.
 * @param routeTimeout every route's {@code timeout} (from the end of the request to the end of the
 *     response). Default 120 s: generous for 100 MiB bodies, finite.
 * @param streamIdleTimeout the connection managers' {@code stream_idle_timeout}. Default 60 s: the
 *     clock that ends a FULL_DUPLEX_STREAMED exchange whose processor stopped answering.
 * @param connectTimeout both clusters' {@code connect_timeout}. Default 1 s: loopback or one network hop.
 */
public record EnvoyTuning(
    long listenerBufferLimitBytes,
    long echoBufferLimitBytes,
    long extProcBufferLimitBytes,
    int extProcHttp2StreamWindowBytes,
    int extProcHttp2ConnectionWindowBytes,
    int extProcMaxConcurrentStreams,
    int http2StreamWindowBytes,
    int http2ConnectionWindowBytes,
    long bufferedRouteBufferLimitBytes,
    Duration messageTimeout,
    Duration routeTimeout,
    Duration streamIdleTimeout,
    Duration connectTimeout) {

  private static final int KIB = 1024;
  private static final int MIB = 1024 * 1024;
  /** HTTP/2's initial window, the smallest Envoy accepts. */
  private static final int MIN_WINDOW = 65_535;

  public EnvoyTuning {
    positive("listenerBufferLimitBytes", listenerBufferLimitBytes);
    positive("echoBufferLimitBytes", echoBufferLimitBytes);
    positive("extProcBufferLimitBytes", extProcBufferLimitBytes);
    positive("bufferedRouteBufferLimitBytes", bufferedRouteBufferLimitBytes);
    window("extProcHttp2StreamWindowBytes", extProcHttp2StreamWindowBytes);
    window("extProcHttp2ConnectionWindowBytes", extProcHttp2ConnectionWindowBytes);
    if (extProcMaxConcurrentStreams < 1) {
      throw new IllegalArgumentException(
          "extProcMaxConcurrentStreams: " + extProcMaxConcurrentStreams + " (expected: 1..2147483647)");
    }
    window("http2StreamWindowBytes", http2StreamWindowBytes);
    window("http2ConnectionWindowBytes", http2ConnectionWindowBytes);
    duration("messageTimeout", messageTimeout);
    duration("routeTimeout", routeTimeout);
    duration("streamIdleTimeout", streamIdleTimeout);
    duration("connectTimeout", connectTimeout);
  }

  /** The defaults described on each component. */
  public static EnvoyTuning defaults() {
    return new EnvoyTuning(
        MIB,
        MIB,
        256 * KIB,
        256 * KIB,
        4 * MIB,
        16,
        MIB,
        4 * MIB,
        17L * MIB,
        Duration.ofSeconds(30),
        Duration.ofSeconds(120),
        Duration.ofSeconds(60),
        Duration.ofSeconds(1));
  }

  /** A builder starting from these values. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Changes some values of an {@link EnvoyTuning}; see the record components for their meaning. */
  public static final class Builder {
    private long listenerBufferLimitBytes;
    private long echoBufferLimitBytes;
    private long extProcBufferLimitBytes;
    private int extProcHttp2StreamWindowBytes;
    private int extProcHttp2ConnectionWindowBytes;
    private int extProcMaxConcurrentStreams;
    private int http2StreamWindowBytes;
    private int http2ConnectionWindowBytes;
    private long bufferedRouteBufferLimitBytes;
    private Duration messageTimeout;
    private Duration routeTimeout;
    private Duration streamIdleTimeout;
    private Duration connectTimeout;

    private Builder(EnvoyTuning from) {
      listenerBufferLimitBytes = from.listenerBufferLimitBytes;
      echoBufferLimitBytes = from.echoBufferLimitBytes;
      extProcBufferLimitBytes = from.extProcBufferLimitBytes;
      extProcHttp2StreamWindowBytes = from.extProcHttp2StreamWindowBytes;
      extProcHttp2ConnectionWindowBytes = from.extProcHttp2ConnectionWindowBytes;
      extProcMaxConcurrentStreams = from.extProcMaxConcurrentStreams;
      http2StreamWindowBytes = from.http2StreamWindowBytes;
      http2ConnectionWindowBytes = from.http2ConnectionWindowBytes;
      bufferedRouteBufferLimitBytes = from.bufferedRouteBufferLimitBytes;
      messageTimeout = from.messageTimeout;
      routeTimeout = from.routeTimeout;
      streamIdleTimeout = from.streamIdleTimeout;
      connectTimeout = from.connectTimeout;
    }

    public Builder listenerBufferLimitBytes(long v) { listenerBufferLimitBytes = v; return this; }

    public Builder echoBufferLimitBytes(long v) { echoBufferLimitBytes = v; return this; }

    public Builder extProcBufferLimitBytes(long v) { extProcBufferLimitBytes = v; return this; }

    public Builder extProcHttp2StreamWindowBytes(int v) { extProcHttp2StreamWindowBytes = v; return this; }

    public Builder extProcHttp2ConnectionWindowBytes(int v) {
      extProcHttp2ConnectionWindowBytes = v;
      return this;
    }

    public Builder extProcMaxConcurrentStreams(int v) { extProcMaxConcurrentStreams = v; return this; }

    public Builder http2StreamWindowBytes(int v) { http2StreamWindowBytes = v; return this; }

    public Builder http2ConnectionWindowBytes(int v) { http2ConnectionWindowBytes = v; return this; }

    public Builder bufferedRouteBufferLimitBytes(long v) { bufferedRouteBufferLimitBytes = v; return this; }

    public Builder messageTimeout(Duration v) { messageTimeout = v; return this; }

    public Builder routeTimeout(Duration v) { routeTimeout = v; return this; }

    public Builder streamIdleTimeout(Duration v) { streamIdleTimeout = v; return this; }

    public Builder connectTimeout(Duration v) { connectTimeout = v; return this; }

    /** Validates and builds. */
    public EnvoyTuning build() {
      return new EnvoyTuning(listenerBufferLimitBytes, echoBufferLimitBytes, extProcBufferLimitBytes,
          extProcHttp2StreamWindowBytes, extProcHttp2ConnectionWindowBytes, extProcMaxConcurrentStreams, http2StreamWindowBytes,
          http2ConnectionWindowBytes, bufferedRouteBufferLimitBytes, messageTimeout, routeTimeout,
          streamIdleTimeout, connectTimeout);
    }
  }

  private static void positive(String name, long value) {
    if (value <= 0 || value > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: 1..4294967295)");
    }
  }

  private static void window(String name, int value) {
    if (value < MIN_WINDOW) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: " + MIN_WINDOW + "..2147483647)");
    }
  }

  private static void duration(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero() || value.toMillis() == 0) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: at least 1 ms)");
    }
  }
}
