package dev.extproc.internal;

import static java.util.Objects.requireNonNull;

import dev.extproc.ExchangeObserver;
import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcStats;
import dev.extproc.ProcessorFactory;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The engine behind {@link dev.extproc.ExtProcService}: binds the {@code Process} method and opens
 * one {@link Exchange} per gRPC stream. Holds only what streams share: configuration, the
 * processor factory, the scheduler, counters and the id generator.
 */
public final class ServiceState {
  final ProcessorFactory factory;
  final ExtProcConfig config;
  final ScheduledExecutorService scheduler;
  final StatsImpl stats = new StatsImpl();
  final ExchangeIds ids;
  final ExchangeObserver observer;

  public ServiceState(ProcessorFactory factory, ExtProcConfig config, ScheduledExecutorService scheduler,
      ExchangeObserver observer) {
    this.observer = requireNonNull(observer, "observer");
    this.factory = requireNonNull(factory, "factory");
    this.config = requireNonNull(config, "config");
    this.scheduler = requireNonNull(scheduler, "scheduler");
    this.ids = new ExchangeIds(Clock.systemUTC());
  }

  public ExtProcStats stats() {
    return stats;
  }

  /**
   * Binds {@code Process} with a request marshaller that never throws ({@link Inbound}): gRPC's
   * own marshaller would turn a garbage message into UNKNOWN without telling the engine, leaving
   * the exchange open forever.
   */
  public ServerServiceDefinition bindService() {
    return bind(Inbound.MARSHALLER);
  }

  /**
   * As {@link #bindService()}, parsing messages of at least {@code zeroCopyMinBytes} without copying
   * their bodies ({@link Integer#MAX_VALUE}: never). For tests and benchmarks; the default threshold
   * is {@link AliasingParser#MIN_BYTES}.
   */
  public ServerServiceDefinition bindService(int zeroCopyMinBytes) {
    return bind(Inbound.marshaller(zeroCopyMinBytes));
  }

  private ServerServiceDefinition bind(MethodDescriptor.Marshaller<Inbound> requests) {
    MethodDescriptor<ProcessingRequest, ProcessingResponse> generated = ExternalProcessorGrpc.getProcessMethod();
    MethodDescriptor<Inbound, ProcessingResponse> process =
        generated.toBuilder(requests, generated.getResponseMarshaller()).build();
    ServiceDescriptor original = ExternalProcessorGrpc.getServiceDescriptor();
    ServiceDescriptor service = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor())
        .addMethod(process)
        .build();
    return ServerServiceDefinition.builder(service)
        .addMethod(process, ServerCalls.asyncBidiStreamingCall(this::open))
        .build();
  }

  private StreamObserver<Inbound> open(StreamObserver<ProcessingResponse> responses) {
    Exchange exchange = new Exchange(this, (ServerCallStreamObserver<ProcessingResponse>) responses);
    exchange.start();
    return exchange;
  }
}
