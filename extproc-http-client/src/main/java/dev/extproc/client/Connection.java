package dev.extproc.client;

/**
 * One open connection of a {@link HttpClient}. HTTP/1.1 carries one exchange at a time (keep-alive:
 * start the next once the previous ended, from one thread at a time); HTTP/2 carries concurrent
 * exchanges, one stream each, started from any thread.
 */
public interface Connection extends AutoCloseable {

  /** Returns the protocol the connection speaks. */
  HttpProtocol protocol();

  /** Starts an exchange whose response is read as it arrives. */
  default Exchange start(Request request) {
    return start(request, true);
  }

  /**
   * Starts an exchange. With {@code readResponse} false the response is not read until {@link
   * #resumeReading()}: the peer's writes then wait on flow control (a slow-reader test).
   *
   * @throws IllegalStateException when an HTTP/1.1 exchange is still under way on this connection
   */
  Exchange start(Request request, boolean readResponse);

  /** Starts reading responses again after an exchange started with {@code readResponse} false. */
  void resumeReading();

  /** Returns whether the connection is open. */
  boolean isOpen();

  /** Returns the bytes written to the socket so far (protocol framing included). Any thread. */
  long socketBytesWritten();

  /** Closes the connection; exchanges still under way end as {@link Response.Outcome#CLIENT_ABORTED}. */
  @Override
  void close();
}
