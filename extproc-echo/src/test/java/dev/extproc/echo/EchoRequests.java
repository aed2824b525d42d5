package dev.extproc.echo;

import dev.extproc.client.BodyDigest;
import dev.extproc.client.BodyFraming;
import dev.extproc.client.Exchange;
import dev.extproc.client.Request;
import dev.extproc.client.RequestBody;
import dev.extproc.client.Response;
import java.net.InetSocketAddress;
import java.util.Arrays;

/** Requests and checks the echo tests share, on the project's HTTP client. */
final class EchoRequests {

  private EchoRequests() {}

  static InetSocketAddress local(int port) {
    return new InetSocketAddress("127.0.0.1", port);
  }

  /** A POST of {@code body}, {@code content-length} or chunked. */
  static Request post(String path, byte[] body, boolean chunked) {
    return Request.post(path, RequestBody.ofBytes(body), chunked ? BodyFraming.CHUNKED : BodyFraming.CONTENT_LENGTH)
        .withHeader("content-type", "application/octet-stream");
  }

  /** The digest of {@code body}. */
  static BodyDigest.Result digest(byte[] body) {
    return BodyDigest.Result.of(body);
  }

  /** The digest of the first {@code length} bytes of {@code body}. */
  static BodyDigest.Result digest(byte[] body, int length) {
    return BodyDigest.Result.of(Arrays.copyOf(body, length));
  }

  /** Waits for the end of {@code exchange} (bounded by its request's timeout). */
  static Response await(Exchange exchange) throws Exception {
    return exchange.await();
  }
}
