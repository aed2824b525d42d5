package dev.extproc.microbench;

import com.google.protobuf.ByteString;
import dev.extproc.testkit.EnvoyMessages;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Per-message overhead of a running ext_proc server, measured as the server process's CPU time
 * per exchange: plays Envoy for small requests (request headers, one body message with
 * end_of_stream, response headers, one body message with end_of_stream: four messages in, four
 * replies out, as Envoy sends for a 1 KiB POST with STREAMED or FULL_DUPLEX_STREAMED bodies) on
 * {@code connections} concurrent streams in a closed loop over one HTTP/2 connection, and reads
 * the server's utime + stime from {@code /proc/<pid>/stat} around the measured window, in all and
 * without the JIT compiler threads (which on a loaded two-core machine are still compiling well
 * after the warm-up), and per thread group from {@code /proc/<pid>/task/}. Run it in its own JVM,
 * so its own CPU is not counted.
 *
 * <p>Usage: {@code java -cp extproc-microbench.jar dev.extproc.microbench.SmallExchangeLoad
 * target=127.0.0.1:22001 pid=PID [connections=10] [warmup=10] [seconds=20] [body=1024]
 * [mode=STREAMED]}. Prints one line of figures.
 */
public final class SmallExchangeLoad {
  private static final Object DONE = new Object();

  private SmallExchangeLoad() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("argument " + arg + " (expected: name=value)");
      }
      options.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    String target = required(options, "target");
    long pid = Long.parseLong(required(options, "pid"));
    int connections = Integer.parseInt(options.getOrDefault("connections", "10"));
    int warmup = Integer.parseInt(options.getOrDefault("warmup", "10"));
    int seconds = Integer.parseInt(options.getOrDefault("seconds", "20"));
    int body = Integer.parseInt(options.getOrDefault("body", "1024"));
    BodySendMode mode = BodySendMode.valueOf(options.getOrDefault("mode", "STREAMED"));

    int colon = target.lastIndexOf(':');
    ManagedChannel channel = NettyChannelBuilder
        .forAddress(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)))
        .usePlaintext().build();
    List<ProcessingRequest> exchange = messages(mode, body);
    LongAdder exchanges = new LongAdder();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      Thread worker = new Thread(() -> loop(channel, exchange, exchanges, stop), "load-" + i);
      worker.start();
      workers.add(worker);
    }
    TimeUnit.SECONDS.sleep(warmup); // a load generator's fixed warm-up window, not a test wait
    Map<String, Long> threadsBefore = threadTicks(pid);
    long cpuBefore = cpuTicks(pid);
    long countBefore = exchanges.sum();
    long start = System.nanoTime();
    TimeUnit.SECONDS.sleep(seconds);
    long cpuAfter = cpuTicks(pid);
    long countAfter = exchanges.sum();
    Map<String, Long> threadsAfter = threadTicks(pid);
    double elapsed = (System.nanoTime() - start) / 1e9;
    stop.set(true);
    for (Thread worker : workers) {
      worker.join(10_000);
    }
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);

    long done = countAfter - countBefore;
    double cpuSeconds = (cpuAfter - cpuBefore) / (double) clockTicksPerSecond();
    System.out.printf("mode=%s connections=%d body=%d exchanges=%d exchanges_per_s=%.1f server_cpu_s=%.2f"
            + " server_cpu_ms_per_exchange=%.3f server_cpu_us_per_message=%.1f%n",
        mode, connections, body, done, done / elapsed, cpuSeconds, 1000 * cpuSeconds / done,
        1e6 * cpuSeconds / done / 8);
    long jitTicks = 0;
    for (Map.Entry<String, Long> group : threadsAfter.entrySet()) {
      if (group.getKey().startsWith("C_CompilerThre")) { // C1/C2 CompilerThreadN, digits removed
        jitTicks += group.getValue() - threadsBefore.getOrDefault(group.getKey(), 0L);
      }
    }
    double withoutJit = cpuSeconds - jitTicks / (double) clockTicksPerSecond();
    System.out.printf("server_cpu_s_without_jit=%.2f server_cpu_ms_per_exchange_without_jit=%.3f%n",
        withoutJit, 1000 * withoutJit / done);
    StringBuilder groups = new StringBuilder("server_cpu_s_by_thread:");
    threadsAfter.entrySet().stream()
        .map(e -> Map.entry(e.getKey(), e.getValue() - threadsBefore.getOrDefault(e.getKey(), 0L)))
        .filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e -> groups.append(' ').append(e.getKey()).append('=')
            .append(String.format("%.2f", e.getValue() / (double) clockTicksPerSecond())));
    System.out.println(groups);
  }

  /** CPU ticks per thread group of {@code pid} (thread names with digits removed), threads alive now. */
  private static Map<String, Long> threadTicks(long pid) throws IOException {
    Map<String, Long> groups = new java.util.TreeMap<>();
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (IOException gone) {
          continue; // the thread ended
        }
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]", "").replace(' ', '_');
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        groups.merge(name, Long.parseLong(fields[11]) + Long.parseLong(fields[12]), Long::sum);
      }
    }
    return groups;
  }

  private static String required(Map<String, String> options, String name) {
    String value = options.get(name);
    if (value == null) {
      throw new IllegalArgumentException("missing " + name + "=... (usage: target=HOST:PORT pid=PID"
          + " [connections=10] [warmup=10] [seconds=20] [body=1024] [mode=STREAMED])");
    }
    return value;
  }

  /** The four messages Envoy sends for one small POST, in order. */
  static List<ProcessingRequest> messages(BodySendMode mode, int bodyBytes) {
    ByteString body = EnvoyMessages.bytes(bodyBytes, 1);
    String length = Integer.toString(bodyBytes);
    return List.of(
        EnvoyMessages.requestHeaders(EnvoyMessages.modes(mode, mode), false,
            ":authority", "127.0.0.1:10000", ":path", "/streamed", ":method", "POST", ":scheme", "http",
            "user-agent", "extproc-bench", "accept", "*/*", "content-length", length,
            "content-type", "application/octet-stream", "x-forwarded-proto", "http",
            "x-request-id", "6f1c1d0e-5b8a-4c43-9a3e-0c5b2f2d7e11"),
        EnvoyMessages.requestBody(body, true),
        EnvoyMessages.responseHeaders(false, ":status", "200", "content-length", length,
            "content-type", "application/octet-stream", "date", "Mon, 30 Nov 2026 17:00:00 GMT",
            "x-envoy-upstream-service-time", "1", "server", "envoy"),
        EnvoyMessages.responseBody(body, true));
  }

  private static void loop(ManagedChannel channel, List<ProcessingRequest> exchange, LongAdder exchanges,
      AtomicBoolean stop) {
    ExternalProcessorGrpc.ExternalProcessorStub stub = ExternalProcessorGrpc.newStub(channel);
    try {
      while (!stop.get()) {
        LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
        StreamObserver<ProcessingRequest> requests = stub.process(new StreamObserver<ProcessingResponse>() {
          @Override public void onNext(ProcessingResponse value) { events.add(value); }
          @Override public void onError(Throwable t) { events.add(t); }
          @Override public void onCompleted() { events.add(DONE); }
        });
        for (ProcessingRequest message : exchange) {
          requests.onNext(message);
          expect(events, ProcessingResponse.class);
        }
        requests.onCompleted();
        expect(events, Object.class);
        exchanges.increment();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void expect(LinkedBlockingQueue<Object> events, Class<?> type) throws InterruptedException {
    Object event = events.poll(10, TimeUnit.SECONDS);
    if (event == null) {
      throw new IllegalStateException("no reply within 10 s");
    }
    if (event instanceof Throwable t) {
      throw new IllegalStateException("the stream failed: " + t, t);
    }
    if (!type.isInstance(event)) {
      throw new IllegalStateException("unexpected " + event + " (expected " + type.getSimpleName() + ")");
    }
  }

  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime (fields 14 and 15)
  }

  private static long clockTicksPerSecond() {
    return 100; // USER_HZ on Linux (getconf CLK_TCK)
  }
}
