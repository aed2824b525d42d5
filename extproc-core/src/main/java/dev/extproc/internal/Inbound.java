package dev.extproc.internal;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.io.InputStream;
import org.jspecify.annotations.Nullable;

/**
 * One message as it came off the wire: the parsed {@link ProcessingRequest}, or why it does not
 * parse, and the transport buffer its body aliases. The {@code Process} method is bound with
 * {@link #MARSHALLER}, which never throws, so a garbage message reaches the exchange as a value it
 * answers (INVALID_ARGUMENT, the exchange closed, a protocol error counted) instead of an
 * exception gRPC turns into UNKNOWN behind the engine's back.
 *
 * @param message the parsed message, or null when it does not parse
 * @param parseError what the parser said, or null when it parsed
 * @param buffer the transport buffer {@code message}'s body aliases (zero-copy parse), or null when
 *     the message owns its bytes; the exchange's {@link InboundLedger} closes it
 */
record Inbound(@Nullable ProcessingRequest message, @Nullable String parseError, @Nullable InboundBuffer buffer) {

  /**
   * Parses without copying body bytes when gRPC hands over its Netty buffers ({@link
   * AliasingParser}, messages of at least {@link AliasingParser#MIN_BYTES}); otherwise grpc-protobuf's
   * marshaller (it keeps the in-process transport's no-copy hand-over of message objects, and reads
   * compressed messages). A parse failure becomes a value; the buffers of a failed parse are released.
   */
  static final MethodDescriptor.Marshaller<Inbound> MARSHALLER = marshaller(AliasingParser.MIN_BYTES);

  /** The marshaller, zero-copy from {@code minBytes} on (tests and benchmarks choose; {@link Integer#MAX_VALUE} never). */
  static MethodDescriptor.Marshaller<Inbound> marshaller(int minBytes) {
    MethodDescriptor.Marshaller<ProcessingRequest> protobuf = ExternalProcessorGrpc.getProcessMethod().getRequestMarshaller();
    return new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(Inbound value) {
        throw new UnsupportedOperationException("the server never sends a ProcessingRequest");
      }

      @Override
      public Inbound parse(InputStream stream) {
        try {
          if (AliasingParser.applies(stream, minBytes)) {
            AliasingParser.Parsed parsed = AliasingParser.parse(stream);
            return new Inbound(parsed.message(), null, parsed.buffer());
          }
          return new Inbound(protobuf.parse(stream), null, null);
        } catch (IOException | RuntimeException e) {
          Throwable cause = e instanceof IOException || e.getCause() == null ? e : e.getCause();
          return new Inbound(null, String.valueOf(cause.getMessage()), null);
        }
      }
    };
  }

  static Inbound of(ProcessingRequest message) {
    return new Inbound(message, null, null);
  }
}
