package dev.extproc.client;

/** The HTTP version a {@link HttpClient} connection speaks. */
public enum HttpProtocol {
  /** HTTP/1.1 over cleartext TCP; one exchange at a time per connection. */
  HTTP_1_1,
  /** HTTP/2 cleartext with prior knowledge (h2c, no upgrade); one stream per exchange. */
  HTTP_2
}
