package dev.extproc;

import com.google.protobuf.Struct;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import org.jspecify.annotations.Nullable;

/**
 * The exchange-wide operations, shared by both directions: an immediate response, dynamic
 * metadata and a processing-mode override. Methods may be called from any thread; the engine
 * applies them in order on the exchange's serial executor.
 */
public interface ExchangeContext extends ExchangeInfo {

  /**
   * Answers the client with {@code response} instead of continuing: Envoy sends it as a local
   * reply and the upstream sees nothing more. Allowed at any time; later events are not delivered
   * and output not yet sent is dropped.
   */
  void respond(ImmediateResponse response);

  /**
   * Asks Envoy to change processing modes from the next message on. Only while a headers event is
   * being handled, and only when the server is configured to say Envoy allows overrides. Envoy
   * takes both body modes literally and applies the merged mode to both directions; the engine
   * tracks the same.
   *
   * @throws IllegalStateException outside a headers event, when overrides are not enabled, when a
   *     direction is in FULL_DUPLEX_STREAMED, or when Envoy announced {@code
   *     send_body_without_waiting_for_header_response} (Envoy ignores overrides then)
   */
  void overrideMode(ProcessingMode mode);

  /**
   * Merges {@code metadata} into the dynamic metadata sent with the next reply. Each top-level key
   * is a namespace whose value must be a Struct; Envoy applies only namespaces it is configured to
   * receive ({@code metadata_options.receiving_namespaces}).
   */
  void setDynamicMetadata(Struct metadata);

  /**
   * Sets one dynamic metadata value, sent with the next reply: {@code putMetadata("extproc.llm",
   * "output_tokens", 42)}. {@code value} is a String, Number, Boolean, null, or a Map or List of
   * those (converted to {@code google.protobuf.Value}).
   *
   * @throws IllegalArgumentException when {@code value} has another type
   */
  void putMetadata(String namespace, String key, @Nullable Object value);
}
