package dev.extproc.internal;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;

/** Envoy's processing-mode rules, as pure functions. */
final class Modes {
  private Modes() {}

  /**
   * Returns the mode in force at the start of a stream: the configured default with the body
   * modes Envoy announced in {@code protocol_config}, when it sent one.
   */
  static ProcessingMode initial(ProcessingMode configured, ProtocolConfiguration protocolConfig) {
    if (protocolConfig == null) {
      return configured;
    }
    return configured.toBuilder()
        .setRequestBodyMode(protocolConfig.getRequestBodyMode())
        .setResponseBodyMode(protocolConfig.getResponseBodyMode())
        .build();
  }

  /**
   * Returns the mode after Envoy applies {@code override} from a headers reply to {@code current}:
   * both body modes are taken literally; header and trailer modes left at DEFAULT keep the
   * current value.
   */
  static ProcessingMode merge(ProcessingMode current, ProcessingMode override) {
    return ProcessingMode.newBuilder()
        .setRequestHeaderMode(pick(current.getRequestHeaderMode(), override.getRequestHeaderMode()))
        .setResponseHeaderMode(pick(current.getResponseHeaderMode(), override.getResponseHeaderMode()))
        .setRequestTrailerMode(pick(current.getRequestTrailerMode(), override.getRequestTrailerMode()))
        .setResponseTrailerMode(pick(current.getResponseTrailerMode(), override.getResponseTrailerMode()))
        .setRequestBodyMode(override.getRequestBodyMode())
        .setResponseBodyMode(override.getResponseBodyMode())
        .build();
  }

  private static HeaderSendMode pick(HeaderSendMode current, HeaderSendMode override) {
    return override == HeaderSendMode.DEFAULT ? current : override;
  }
}
