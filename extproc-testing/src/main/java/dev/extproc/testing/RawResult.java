package dev.extproc.testing;

import static java.util.Objects.requireNonNull;

import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import java.util.List;

/**
 * What a raw exchange ({@link FakeEnvoy#sendRaw}) produced.
 *
 * @param replies the replies received, in order
 * @param status the status the stream ended with
 */
public record RawResult(List<ProcessingResponse> replies, Status status) {
  public RawResult {
    replies = List.copyOf(replies);
    requireNonNull(status, "status");
  }
}
