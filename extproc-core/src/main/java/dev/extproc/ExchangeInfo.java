package dev.extproc;

import com.google.protobuf.Struct;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/** What is known about an exchange when its processor is made. Immutable. */
public interface ExchangeInfo {

  /**
   * Returns the exchange's id: unique within this server, lexicographically ordered by start
   * time, and made only of {@code [0-9A-Za-z-]} so it is safe in file names. Never derived from
   * anything the client sent.
   */
  String id();

  /** Returns when the stream started. */
  Instant startTime();

  /** Returns the body mode in force for {@code direction} when the stream started. */
  BodyMode initialBodyMode(Direction direction);

  /** Returns the CEL attributes Envoy sent with the first message (empty when none). */
  Map<String, Struct> attributes();

  /** Returns the metadata context Envoy sent with the first message. */
  Metadata metadataContext();

  /**
   * Returns a scheduler processors may use for timers and short non-blocking tasks. Shared by the
   * server; never shut it down.
   */
  ScheduledExecutorService scheduler();
}
