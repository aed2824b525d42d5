package dev.extproc.internal;

import dev.extproc.ExtProcConfig;
import dev.extproc.ExtProcStats;
import dev.extproc.ProcessorFactory;
import io.grpc.ServerServiceDefinition;
import java.util.concurrent.ScheduledExecutorService;

/** The engine behind {@link dev.extproc.ExtProcService}. Placeholder: to be implemented. */
public final class ServiceState {
  private final ProcessorFactory factory;
  private final ExtProcConfig config;
  private final ScheduledExecutorService scheduler;

  public ServiceState(ProcessorFactory factory, ExtProcConfig config, ScheduledExecutorService scheduler) {
    this.factory = factory;
    this.config = config;
    this.scheduler = scheduler;
  }

  public ExtProcStats stats() {
    throw new UnsupportedOperationException("not yet implemented");
  }

  public ServerServiceDefinition bindService() {
    throw new UnsupportedOperationException("not yet implemented");
  }
}
