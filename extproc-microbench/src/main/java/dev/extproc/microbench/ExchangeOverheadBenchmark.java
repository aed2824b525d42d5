package dev.extproc.microbench;

import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcService;
import dev.extproc.PassthroughProcessor;
import dev.extproc.testkit.EmbeddedStream;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.grpc.Status;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The engine's own cost per small exchange, without any transport: one operation is one whole
 * ext_proc stream as Envoy drives it for a 1 KiB POST (request headers, the body in one message
 * with end_of_stream, response headers, the response body likewise; four messages in, four replies
 * out, then the half-close) through {@link EmbeddedStream}, which starts the stream through the
 * service's own {@code Process} handler on a fake server call. The pass-through processor; no
 * observer. Run with {@code -prof gc} for the bytes allocated per exchange.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class ExchangeOverheadBenchmark {

  @Param({"STREAMED", "FULL_DUPLEX_STREAMED"})
  public String mode;

  private ScheduledExecutorService scheduler;
  private ExtProcService service;
  private List<ProcessingRequest> exchange;

  @Setup(Level.Trial)
  public void setUp() {
    scheduler = Executors.newSingleThreadScheduledExecutor();
    service = ExtProcService.builder(PassthroughProcessor.factory())
        .config(ExtProcConfig.defaults()).scheduler(scheduler).build();
    exchange = SmallExchangeLoad.messages(BodySendMode.valueOf(mode), 1024);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    scheduler.shutdownNow();
  }

  /** One small exchange: four messages in, four replies out, closed OK. */
  @Benchmark
  public int smallExchange() {
    int bytes = 0;
    try (EmbeddedStream stream = EmbeddedStream.open(service)) {
      for (ProcessingRequest message : exchange) {
        stream.send(message);
        bytes += stream.awaitReply().getSerializedSize();
      }
      stream.halfClose();
      Status status = stream.awaitClose();
      if (!status.isOk()) {
        throw new IllegalStateException("exchange ended with " + status);
      }
    }
    return bytes;
  }
}
