package dev.extproc.transforms;

import dev.extproc.Direction;
import dev.extproc.DirectionContext;
import dev.extproc.ImmediateResponse;
import dev.extproc.Processing;
import java.util.concurrent.CompletionStage;

/**
 * How a transform reports a bad body: an immediate response with the error's status while the
 * client has seen nothing of the response, else a failed stage (Envoy resets the stream). Never a
 * truncated 200.
 */
public final class Failures {
  private Failures() {}

  /**
   * Reports {@code error} for the processor {@code name} and returns the event's stage.
   *
   * @param inHeaders whether the error is found in the direction's headers event (the response
   *     headers have not gone to the client yet)
   */
  public static CompletionStage<Void> fail(DirectionContext ctx, String name, RuntimeException error, boolean inHeaders) {
    if (!(error instanceof TransformException) && !(error instanceof CarryOverflowException)) {
      return Processing.failed(error);
    }
    int status = error instanceof TransformException te ? te.status() : 500;
    String reason = name + ": " + stripName(name, error.getMessage());
    boolean clientSawNothing = ctx.direction() == Direction.REQUEST || inHeaders;
    if (clientSawNothing) {
      // A response-side problem is the upstream's: the client gets 502 for what would be a 4xx.
      int answer = ctx.direction() == Direction.RESPONSE && status < 500 ? 502 : status;
      ctx.exchange().respond(ImmediateResponse.of(answer, reason + "\n").withDetails(details(name, answer)));
      return Processing.done();
    }
    return Processing.failed(new TransformException(status, reason + " (response already started: stream reset)", error));
  }

  /** Envoy's response code details allow no spaces: {@code redact_415} and the like. */
  static String details(String name, int status) {
    return name.replaceAll("[^A-Za-z0-9_]", "_") + "_" + status;
  }

  private static String stripName(String name, String message) {
    return message.startsWith(name + ": ") ? message.substring(name.length() + 2) : message;
  }
}
