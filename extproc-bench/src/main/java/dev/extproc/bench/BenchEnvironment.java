package dev.extproc.bench;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Starts what one route of a scenario runs against. The real one starts a fresh local stack (Envoy, echo,
 * ext_proc server) per route, so that each route's memory peaks are its own; tests use an echo-only one.
 */
public interface BenchEnvironment {

  /**
   * Starts the processes for one route.
   *
   * @param settings the echo mode and ext_proc server setup of the scenario
   * @param route the route about to be loaded
   * @param routeDir a directory for this route's files (JFR, capture files, profiles); it exists
   */
  Target start(StackSettings settings, Route route, Path routeDir) throws Exception;

  /**
   * Returns the request body buffer limit of the environment's BUFFERED route (Envoy's route
   * {@code request_body_buffer_limit}), if it has one: a BUFFERED body above it is not run.
   */
  OptionalLong bufferLimitBytes();

  /** Returns a description of the environment's fixed knobs (Envoy version, buffer limits, windows). */
  java.util.Map<String, String> describe();

  /** The running processes of one route. */
  interface Target extends AutoCloseable {

    /** Returns {@code http://host:port} of the listener the route is served on. */
    URI baseUri(Route route);

    /** Returns what to sample: the processes' /proc status and admin endpoints. */
    List<MeterSource> meterSources();

    /** Returns the pids of Envoy ({@code envoy}) and the ext_proc server ({@code ext_proc}) this target runs, where known. */
    default java.util.Map<String, Long> pids() {
      return java.util.Map.of();
    }

    /** Returns Envoy's admin address, when there is an Envoy. */
    Optional<URI> envoyAdmin();

    /**
     * Returns the JFR file the ext_proc server writes when it exits ({@link StackSettings#jfrFile()}), when
     * this target started the server with it.
     */
    Optional<Path> jfrFile();

    /** Returns the ext_proc server's pid when this target started it (its CPU is metered), else empty. */
    default OptionalLong processorPid() {
      return OptionalLong.empty();
    }

    /** Returns Envoy's pid when there is an Envoy (its CPU is metered), else empty. */
    default OptionalLong envoyPid() {
      return OptionalLong.empty();
    }

    /**
     * Returns {@code http://host:port} of the ext_proc server's admin endpoint when this target started it
     * (its {@code /stats} GC counters are read at the batch's start and end), else empty.
     */
    default Optional<URI> processorAdmin() {
      return Optional.empty();
    }

    /** Stops every process this target started and waits for them to exit. */
    @Override
    void close() throws Exception;
  }
}
