package dev.extproc.internal;

import dev.extproc.BodyMode;
import dev.extproc.Direction;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.grpc.Status;
import org.jspecify.annotations.Nullable;

/**
 * The rules Envoy's messages must follow, as pure checks: (what has arrived in a direction, body
 * mode, message) to the violation naming the rule, or null. The exchange applies them to every
 * message on arrival, before it is dispatched or parked, and fails the stream with the violation.
 */
final class InboundRules {
  private InboundRules() {}

  /** What has arrived in one direction so far. Moves forward only, on arrival of a legal message. */
  enum Arrived {
    NOTHING,
    HEADERS,
    BODY,
    /** Headers with end_of_stream: the message had no body and no trailers. */
    ENDED_AT_HEADERS,
    /** A body message with end_of_stream. */
    ENDED_IN_BODY,
    TRAILERS;

    boolean ended() {
      return this == ENDED_AT_HEADERS || this == ENDED_IN_BODY || this == TRAILERS;
    }

    boolean bodyStarted() {
      return this == BODY || this == ENDED_IN_BODY;
    }

    /** Returns the state after a legal message of {@code kind} with {@code endOfStream}. */
    Arrived after(ProcessingRequest.RequestCase kind, boolean endOfStream) {
      switch (kind) {
        case REQUEST_HEADERS:
        case RESPONSE_HEADERS:
          return endOfStream ? ENDED_AT_HEADERS : HEADERS;
        case REQUEST_BODY:
        case RESPONSE_BODY:
          return endOfStream ? ENDED_IN_BODY : BODY;
        default:
          return TRAILERS;
      }
    }
  }

  /** A broken rule: the gRPC status code and a description that names the rule. */
  record Violation(Status.Code code, String description) {
    Status status() {
      return Status.fromCode(code).withDescription(description);
    }
  }

  /** Checks a message with no request set. */
  static Violation noRequestSet() {
    return new Violation(Status.Code.INVALID_ARGUMENT,
        "ProcessingRequest with no request set (rule: every message carries exactly one of"
            + " request_headers, response_headers, request_body, response_body, request_trailers,"
            + " response_trailers)");
  }

  /** Checks that a message parsed. */
  static Violation unparseable(String parseError) {
    return new Violation(Status.Code.INVALID_ARGUMENT,
        "ProcessingRequest does not parse: " + parseError + " (rule: every message is a valid"
            + " envoy.service.ext_proc.v3.ProcessingRequest)");
  }

  /** Checks a message's size against the inbound limit. */
  static @Nullable Violation size(int size, int maxInboundMessageBytes) {
    if (size <= maxInboundMessageBytes) {
      return null;
    }
    return new Violation(Status.Code.RESOURCE_EXHAUSTED,
        "ProcessingRequest of " + size + " bytes (rule: at most maxInboundMessageBytes "
            + maxInboundMessageBytes + " per message)");
  }

  /** Checks the first message's protocol_config: unknown body modes are refused, not guessed. */
  static @Nullable Violation protocolConfig(ProtocolConfiguration config) {
    Violation request = bodyMode("request_body_mode", config.getRequestBodyModeValue());
    return request != null ? request : bodyMode("response_body_mode", config.getResponseBodyModeValue());
  }

  private static @Nullable Violation bodyMode(String field, int value) {
    BodySendMode mode = BodySendMode.forNumber(value);
    if (mode != null && mode != BodySendMode.UNRECOGNIZED) {
      return null;
    }
    return new Violation(Status.Code.INVALID_ARGUMENT,
        "protocol_config." + field + ": " + value + " (rule: a known BodySendMode, one of NONE 0,"
            + " STREAMED 1, BUFFERED 2, BUFFERED_PARTIAL 3, FULL_DUPLEX_STREAMED 4)");
  }

  /**
   * Checks a headers, body or trailers message of {@code direction} against what arrived before
   * in that direction and its body mode.
   */
  static @Nullable Violation check(Direction direction, Arrived arrived, BodyMode mode, ProcessingRequest message) {
    String label = direction.label();
    switch (message.getRequestCase()) {
      case REQUEST_HEADERS:
      case RESPONSE_HEADERS: {
        String what = label + "_headers";
        if (arrived == Arrived.TRAILERS || arrived.bodyStarted()) {
          return precondition(what + " received after " + label
              + (arrived == Arrived.TRAILERS ? " trailers" : " body started")
              + " (rule: headers must come first in a direction)");
        }
        if (arrived != Arrived.NOTHING) {
          return precondition(what + " received twice (rule: one headers message per direction)");
        }
        return null;
      }
      case REQUEST_BODY:
      case RESPONSE_BODY: {
        String what = label + "_body";
        if (arrived.ended()) {
          return precondition(what + " received after the " + label + " direction ended (rule: nothing"
              + " follows end_of_stream in a direction)");
        }
        if (mode == BodyMode.NONE) {
          return precondition(what + " received in body mode NONE (rule: no body messages when the body"
              + " mode is NONE; check protocol_config or the server's default body mode)");
        }
        if ((mode == BodyMode.BUFFERED || mode == BodyMode.BUFFERED_PARTIAL) && arrived == Arrived.BODY) {
          return precondition("second " + what + " message in body mode " + mode
              + " (rule: one body message in BUFFERED and BUFFERED_PARTIAL)");
        }
        return null;
      }
      default: {
        String what = label + "_trailers";
        if (arrived == Arrived.TRAILERS) {
          return precondition(what + " received twice (rule: one trailers message per direction)");
        }
        if (arrived.ended()) {
          return precondition(what + " received after the " + label + " direction ended (rule: nothing"
              + " follows end_of_stream in a direction)");
        }
        return null;
      }
    }
  }

  private static Violation precondition(String description) {
    return new Violation(Status.Code.FAILED_PRECONDITION, description);
  }
}
