package dev.extproc.app.e2e;

import dev.extproc.client.HttpClient;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;

/** The {@link TestHttpClient} of one protocol, on the project's HTTP client: a connection per exchange. */
final class NettyTestHttpClient implements TestHttpClient {

  private final Protocol protocol;
  private final HttpClient client = new HttpClient();

  NettyTestHttpClient(Protocol protocol) {
    this.protocol = protocol;
  }

  @Override
  public Protocol protocol() {
    return protocol;
  }

  @Override
  public CompletableFuture<TestResponse> start(InetSocketAddress target, TestRequest request) {
    return client.start(target, protocol.wire(), request.toClientRequest(protocol)).response().thenApply(TestResponse::of);
  }

  @Override
  public void close() {
    client.close();
  }
}
