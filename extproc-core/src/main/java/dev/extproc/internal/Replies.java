package dev.extproc.internal;

import com.google.protobuf.BoolValue;
import com.google.protobuf.ByteString;
import dev.extproc.Direction;
import dev.extproc.ImmediateResponse;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Builds the wire replies. Pure functions and small builders; no state beyond one reply. */
final class Replies {
  private Replies() {}

  /**
   * Header mutations in the order the processor made them. Values go into {@code raw_value} (Envoy
   * reads only that) and {@code append} is the only flag Envoy honours.
   */
  static final class MutationBuilder {
    private final HeaderMutation.Builder builder = HeaderMutation.newBuilder();

    void set(String name, String value, boolean append) {
      set(name, ByteString.copyFrom(value, StandardCharsets.UTF_8), append);
    }

    @SuppressWarnings("deprecation") // HeaderValueOption.append: the only flag ext_proc honours
    void set(String name, ByteString rawValue, boolean append) {
      builder.addSetHeaders(HeaderValueOption.newBuilder()
          .setHeader(HeaderValue.newBuilder().setKey(name).setRawValue(rawValue))
          .setAppend(BoolValue.of(append)));
    }

    void remove(String name) {
      builder.addRemoveHeaders(name);
    }

    /** Replaces every {@code set} of {@code name} by one overwrite with {@code value}. */
    void replace(String name, String value) {
      for (int i = builder.getSetHeadersCount() - 1; i >= 0; i--) {
        if (builder.getSetHeaders(i).getHeader().getKey().equals(name)) {
          builder.removeSetHeaders(i);
        }
      }
      set(name, value, false);
    }

    boolean isEmpty() {
      return builder.getSetHeadersCount() == 0 && builder.getRemoveHeadersCount() == 0;
    }

    HeaderMutation build() {
      return builder.build();
    }
  }

  // The replies that change nothing, built once: most messages of a pass-through exchange get one
  // of these, so neither builders nor a fresh message (nor its serialized size) are made per reply.
  private static final List<ProcessingResponse> UNCHANGED_HEADERS = List.of(
      headers(Direction.REQUEST, new Common(null)).build(), headers(Direction.RESPONSE, new Common(null)).build());
  private static final List<ProcessingResponse> UNCHANGED_BODY = List.of(
      body(Direction.REQUEST, new Common(null)).build(), body(Direction.RESPONSE, new Common(null)).build());

  /** The header reply with no mutation, no body, no mode override and no metadata. Shared. */
  static ProcessingResponse unchangedHeaders(Direction direction) {
    return UNCHANGED_HEADERS.get(direction.ordinal());
  }

  /** The body reply with no mutation (the chunk passes unchanged) and no metadata. Shared. */
  static ProcessingResponse unchangedBody(Direction direction) {
    return UNCHANGED_BODY.get(direction.ordinal());
  }

  /** A CommonResponse under construction. */
  static final class Common {
    private final CommonResponse.Builder builder = CommonResponse.newBuilder();
    private MutationBuilder mutation;

    Common(MutationBuilder mutation) {
      this.mutation = mutation;
    }

    /** CONTINUE_AND_REPLACE with {@code body}: only acted on by Envoy in a headers reply. */
    void replaceBody(ByteString body) {
      builder.setStatus(CommonResponse.ResponseStatus.CONTINUE_AND_REPLACE);
      body(body);
    }

    void body(ByteString body) {
      builder.setBodyMutation(BodyMutation.newBuilder().setBody(body));
    }

    void clearBody() {
      builder.setBodyMutation(BodyMutation.newBuilder().setClearBody(true));
    }

    void setContentLength(long length) {
      if (mutation == null) {
        mutation = new MutationBuilder();
      }
      mutation.replace("content-length", Long.toString(length));
    }

    CommonResponse build() {
      if (mutation != null) {
        HeaderMutation built = mutation.build();
        if (built.getSetHeadersCount() > 0 || built.getRemoveHeadersCount() > 0) {
          builder.setHeaderMutation(built);
        }
      }
      return builder.build();
    }
  }

  static ProcessingResponse.Builder headers(Direction direction, Common common) {
    HeadersResponse reply = HeadersResponse.newBuilder().setResponse(common.build()).build();
    ProcessingResponse.Builder builder = ProcessingResponse.newBuilder();
    return direction == Direction.REQUEST ? builder.setRequestHeaders(reply) : builder.setResponseHeaders(reply);
  }

  static ProcessingResponse.Builder body(Direction direction, Common common) {
    BodyResponse reply = BodyResponse.newBuilder().setResponse(common.build()).build();
    ProcessingResponse.Builder builder = ProcessingResponse.newBuilder();
    return direction == Direction.REQUEST ? builder.setRequestBody(reply) : builder.setResponseBody(reply);
  }

  static ProcessingResponse.Builder streamed(Direction direction, ByteString chunk, boolean endOfStream) {
    BodyResponse reply = BodyResponse.newBuilder()
        .setResponse(CommonResponse.newBuilder()
            .setBodyMutation(BodyMutation.newBuilder()
                .setStreamedResponse(StreamedBodyResponse.newBuilder()
                    .setBody(chunk)
                    .setEndOfStream(endOfStream))))
        .build();
    ProcessingResponse.Builder builder = ProcessingResponse.newBuilder();
    return direction == Direction.REQUEST ? builder.setRequestBody(reply) : builder.setResponseBody(reply);
  }

  static ProcessingResponse.Builder trailers(Direction direction, MutationBuilder mutation) {
    TrailersResponse.Builder reply = TrailersResponse.newBuilder();
    if (mutation != null) {
      reply.setHeaderMutation(mutation.build());
    }
    ProcessingResponse.Builder builder = ProcessingResponse.newBuilder();
    return direction == Direction.REQUEST
        ? builder.setRequestTrailers(reply)
        : builder.setResponseTrailers(reply);
  }

  static ProcessingResponse.Builder immediate(ImmediateResponse response) {
    io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse.Builder reply =
        io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse.newBuilder()
            .setStatus(HttpStatus.newBuilder().setCodeValue(response.status()))
            .setBody(response.body())
            .setDetails(response.details());
    if (!response.headers().isEmpty()) {
      MutationBuilder mutation = new MutationBuilder();
      Set<String> seen = new HashSet<>();
      for (HeaderValue header : response.headers().toProto().getHeadersList()) {
        ByteString value = header.getRawValue().isEmpty() && !header.getValue().isEmpty()
            ? ByteString.copyFromUtf8(header.getValue())
            : header.getRawValue();
        mutation.set(header.getKey(), value, !seen.add(header.getKey()));
      }
      reply.setHeaders(mutation.build());
    }
    return ProcessingResponse.newBuilder().setImmediateResponse(reply);
  }
}
