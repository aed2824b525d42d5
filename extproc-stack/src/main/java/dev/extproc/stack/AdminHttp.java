package dev.extproc.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Small blocking HTTP/1.1 helper shared by the admin clients. */
final class AdminHttp {

  private final HttpClient client;
  private final URI base;
  private final Duration timeout;

  AdminHttp(URI base, Duration timeout) {
    this.base = base;
    this.timeout = timeout;
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(timeout)
        .build();
  }

  URI base() {
    return base;
  }

  HttpResponse<String> get(String pathAndQuery) {
    return send(HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(timeout).GET().build());
  }

  HttpResponse<String> post(String pathAndQuery) {
    return send(HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(timeout)
        .POST(HttpRequest.BodyPublishers.noBody()).build());
  }

  /** GET that must answer 200; returns the body. */
  String getOk(String pathAndQuery) {
    HttpResponse<String> response = get(pathAndQuery);
    if (response.statusCode() != 200) {
      throw new IllegalStateException("GET " + base.resolve(pathAndQuery) + ": status " + response.statusCode()
          + " (expected: 200): " + abbreviate(response.body()));
    }
    return response.body();
  }

  private HttpResponse<String> send(HttpRequest request) {
    try {
      return client.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(request.method() + " " + request.uri() + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + request.method() + " " + request.uri(), e);
    }
  }

  static String abbreviate(String text) {
    return text.length() <= 300 ? text : text.substring(0, 300) + "...";
  }
}
