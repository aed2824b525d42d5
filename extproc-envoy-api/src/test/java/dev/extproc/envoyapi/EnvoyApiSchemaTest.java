package dev.extproc.envoyapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedImmediateResponse;
import io.grpc.MethodDescriptor.MethodType;
import org.junit.jupiter.api.Test;

/**
 * The generated schema has every field the engine and FakeEnvoy rely on, under Envoy's own field
 * numbers (what goes on the wire), and the newer ones the old {@code io.envoyproxy.controlplane:api}
 * jar lacked. A grpc-xds upgrade that drops or renumbers one fails here, not in an e2e test.
 */
class EnvoyApiSchemaTest {

  @Test
  void serviceIsEnvoysBidiStreamingProcess() {
    assertThat(ExternalProcessorGrpc.getProcessMethod().getFullMethodName())
        .isEqualTo("envoy.service.ext_proc.v3.ExternalProcessor/Process");
    assertThat(ExternalProcessorGrpc.getProcessMethod().getType()).isEqualTo(MethodType.BIDI_STREAMING);
  }

  @Test
  void processingRequestCarriesOneMessageKindPerOneof() {
    Descriptor request = ProcessingRequest.getDescriptor();
    assertOneof(request, "request",
        "request_headers:2", "response_headers:3", "request_body:4", "response_body:5",
        "request_trailers:6", "response_trailers:7");
    assertFields(request, "metadata_context:8", "attributes:9", "observability_mode:10", "protocol_config:11");
  }

  @Test
  void processingResponseHasOverridesMetadataAndStreamedImmediateResponse() {
    Descriptor response = ProcessingResponse.getDescriptor();
    assertOneof(response, "response",
        "request_headers:1", "response_headers:2", "request_body:3", "response_body:4",
        "request_trailers:5", "response_trailers:6", "immediate_response:7", "streamed_immediate_response:11");
    assertFields(response, "dynamic_metadata:8", "mode_override:9", "override_message_timeout:10", "request_drain:12");
  }

  @Test
  void bodiesAndStreamedBodiesCarryEndOfStreamFlags() {
    assertFields(HttpBody.getDescriptor(), "body:1", "end_of_stream:2", "end_of_stream_without_message:3", "grpc_message_compressed:4");
    assertFields(StreamedBodyResponse.getDescriptor(), "body:1", "end_of_stream:2", "end_of_stream_without_message:3", "grpc_message_compressed:4");
    assertOneof(BodyMutation.getDescriptor(), "mutation", "body:1", "clear_body:2", "streamed_response:3");
    assertFields(StreamedImmediateResponse.getDescriptor(), "headers_response:1", "body_response:2", "trailers_response:3");
  }

  @Test
  void protocolConfigurationAndProcessingModeHaveEveryBodyMode() {
    assertFields(ProtocolConfiguration.getDescriptor(),
        "request_body_mode:1", "response_body_mode:2", "send_body_without_waiting_for_header_response:3");
    assertFields(ProcessingMode.getDescriptor(),
        "request_header_mode:1", "response_header_mode:2", "request_body_mode:3", "response_body_mode:4",
        "request_trailer_mode:5", "response_trailer_mode:6");
    EnumDescriptor bodyModes = ProcessingMode.BodySendMode.getDescriptor();
    assertThat(bodyModes.getValues()).extracting(value -> value.getName() + ":" + value.getNumber())
        .contains("NONE:0", "STREAMED:1", "BUFFERED:2", "BUFFERED_PARTIAL:3", "FULL_DUPLEX_STREAMED:4", "GRPC:5");
  }

  @Test
  void mutationsAndHeadersHaveRawValues() {
    assertFields(CommonResponse.getDescriptor(), "status:1", "header_mutation:2", "body_mutation:3", "trailers:4", "clear_route_cache:5");
    assertFields(HeaderMutation.getDescriptor(), "set_headers:1", "remove_headers:2");
    assertFields(HeaderValueOption.getDescriptor(), "header:1", "append_action:3");
    assertFields(HeaderValue.getDescriptor(), "key:1", "value:2", "raw_value:3");
    assertFields(HeaderMap.getDescriptor(), "headers:1");
    assertFields(ImmediateResponse.getDescriptor(), "status:1", "headers:2", "body:3", "grpc_status:4", "details:5");
  }

  @Test
  void newerMessagesBuildAndRoundTripTyped() throws Exception {
    ProcessingResponse response = ProcessingResponse.newBuilder()
        .setStreamedImmediateResponse(StreamedImmediateResponse.newBuilder()
            .setBodyResponse(StreamedBodyResponse.newBuilder().setEndOfStreamWithoutMessage(true)))
        .setRequestDrain(true)
        .build();
    ProcessingResponse parsed = ProcessingResponse.parseFrom(response.toByteArray());
    assertThat(parsed.getResponseCase()).isEqualTo(ProcessingResponse.ResponseCase.STREAMED_IMMEDIATE_RESPONSE);
    assertThat(parsed.getStreamedImmediateResponse().getBodyResponse().getEndOfStreamWithoutMessage()).isTrue();
    assertThat(parsed.getRequestDrain()).isTrue();
    assertThat(parsed.getUnknownFields().asMap()).isEmpty();
  }

  @Test
  void generatedClassesAreEnvoysOwnNotGrpcXdsRelocatedOnes() {
    assertThat(ProcessingRequest.class.getName()).isEqualTo("io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest");
    assertThat(ProcessingRequest.getDescriptor().getFile().getPackage()).isEqualTo("envoy.service.ext_proc.v3");
    assertThat(ProcessingRequest.class.getProtectionDomain().getCodeSource().getLocation().toString())
        .as("ProcessingRequest must come from this module's classes, not from another jar on the class path")
        .doesNotContain("grpc-xds").doesNotContain("controlplane");
  }

  /** Each {@code name:number} is a field of {@code message} with that number. */
  private static void assertFields(Descriptor message, String... namesAndNumbers) {
    assertThat(message.getFields()).extracting(field -> field.getName() + ":" + field.getNumber())
        .as(message.getFullName()).contains(namesAndNumbers);
  }

  /** Each {@code name:number} is a field of {@code message} in its oneof {@code oneof}. */
  private static void assertOneof(Descriptor message, String oneof, String... namesAndNumbers) {
    assertFields(message, namesAndNumbers);
    OneofDescriptor group = message.getOneofs().stream()
        .filter(o -> o.getName().equals(oneof)).findFirst()
        .orElseThrow(() -> new AssertionError(message.getFullName() + " has no oneof " + oneof));
    assertThat(group.getFields()).extracting(field -> field.getName() + ":" + field.getNumber())
        .as(message.getFullName() + "." + oneof).contains(namesAndNumbers);
  }
}
