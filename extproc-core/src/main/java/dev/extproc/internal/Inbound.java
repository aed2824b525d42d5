package dev.extproc.internal;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.grpc.MethodDescriptor;
import java.io.InputStream;
import org.jspecify.annotations.Nullable;

/**
 * One message as it came off the wire: the parsed {@link ProcessingRequest}, or why it does not
 * parse. The {@code Process} method is bound with {@link #MARSHALLER}, which never throws, so a
 * garbage message reaches the exchange as a value it answers (INVALID_ARGUMENT, the exchange
 * closed, a protocol error counted) instead of an exception gRPC turns into UNKNOWN behind the
 * engine's back. This is also where zero-copy parsing would plug in.
 *
 * @param message the parsed message, or null when it does not parse
 * @param parseError what the parser said, or null when it parsed
 */
record Inbound(@Nullable ProcessingRequest message, @Nullable String parseError) {

  /**
   * grpc-protobuf's marshaller (it keeps the in-process transport's no-copy hand-over of message
   * objects), with its parse failure turned into a value.
   */
  static final MethodDescriptor.Marshaller<Inbound> MARSHALLER = new MethodDescriptor.Marshaller<>() {
    private final MethodDescriptor.Marshaller<ProcessingRequest> protobuf =
        ExternalProcessorGrpc.getProcessMethod().getRequestMarshaller();

    @Override
    public InputStream stream(Inbound value) {
      throw new UnsupportedOperationException("the server never sends a ProcessingRequest");
    }

    @Override
    public Inbound parse(InputStream stream) {
      try {
        return new Inbound(protobuf.parse(stream), null);
      } catch (RuntimeException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return new Inbound(null, String.valueOf(cause.getMessage()));
      }
    }
  };

  static Inbound of(ProcessingRequest message) {
    return new Inbound(message, null);
  }
}
