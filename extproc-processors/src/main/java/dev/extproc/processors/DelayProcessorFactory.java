package dev.extproc.processors;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import dev.extproc.ExchangeInfo;
import dev.extproc.ExchangeProcessor;
import dev.extproc.HttpHeaders;
import dev.extproc.MessageContext;
import dev.extproc.ProcessorFactory;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes delay processors: every event (headers, each body chunk, end, trailers) completes only
 * after {@code delay}, like the seed's 1 ms sleep per message, and passes everything through.
 * The delay is a timer on {@link ExchangeInfo#scheduler()}: no thread sleeps, and since the engine
 * reads the next message only when an event completed, Envoy is slowed down as with the seed.
 */
public final class DelayProcessorFactory implements ProcessorFactory {
  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|µs|ms|s|m)?");

  private final Duration delay;

  private DelayProcessorFactory(Duration delay) {
    this.delay = delay;
  }

  /**
   * Returns a factory delaying every event by {@code delay}.
   *
   * @throws IllegalArgumentException when {@code delay} is negative
   */
  public static DelayProcessorFactory of(Duration delay) {
    requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay: " + delay + " (expected: >= 0)");
    }
    return new DelayProcessorFactory(delay);
  }

  /**
   * Parses a duration such as {@code 1ms}, {@code 250us}, {@code 2s}, {@code 0} (a bare number is
   * milliseconds) or an ISO-8601 duration such as {@code PT0.5S}.
   *
   * @throws IllegalArgumentException when {@code text} is none of these
   */
  public static Duration parseDuration(String text) {
    requireNonNull(text, "text");
    String trimmed = text.trim();
    if (trimmed.toUpperCase(Locale.ROOT).startsWith("PT")) {
      try {
        return Duration.parse(trimmed);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("duration: " + text + " (expected: e.g. 1ms, 250us, 2s or PT0.5S)", e);
      }
    }
    Matcher m = DURATION.matcher(trimmed.toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("duration: " + text + " (expected: e.g. 1ms, 250us, 2s or PT0.5S)");
    }
    double value = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "ms" : m.group(2);
    double nanosPerUnit;
    switch (unit) {
      case "ns":
        nanosPerUnit = 1;
        break;
      case "us":
      case "µs":
        nanosPerUnit = 1e3;
        break;
      case "ms":
        nanosPerUnit = 1e6;
        break;
      case "s":
        nanosPerUnit = 1e9;
        break;
      default:
        nanosPerUnit = 60e9;
        break;
    }
    return Duration.ofNanos(Math.round(value * nanosPerUnit));
  }

  /** Returns the delay per event. */
  public Duration delay() {
    return delay;
  }

  @Override
  public ExchangeProcessor newProcessor(ExchangeInfo exchange) {
    return new DelayProcessor(exchange);
  }

  @Override
  public String toString() {
    return "delay(" + delay + ")";
  }

  private final class DelayProcessor implements ExchangeProcessor {
    private final ExchangeInfo exchange;

    DelayProcessor(ExchangeInfo exchange) {
      this.exchange = exchange;
    }

    private CompletionStage<Void> later() {
      CompletableFuture<Void> timer = new CompletableFuture<>();
      if (delay.isZero()) {
        timer.complete(null);
      } else {
        Runnable fire = () -> timer.complete(null);
        exchange.scheduler().schedule(fire, delay.toNanos(), TimeUnit.NANOSECONDS);
      }
      return timer;
    }

    /** Borrows chunks (zero-copy): a chunk is forwarded once the timer fired, within its event's stage. */
    @Override
    public boolean borrowsChunks(dev.extproc.Direction direction) {
      return true;
    }

    @Override
    public CompletionStage<Void> onHeaders(MessageContext ctx, HttpHeaders headers, boolean endOfStream) {
      return later();
    }

    @Override
    public CompletionStage<Void> onBody(MessageContext ctx, ByteString chunk) {
      return later().thenCompose(v -> ctx.write(chunk));
    }

    @Override
    public CompletionStage<Void> onEnd(MessageContext ctx) {
      return later();
    }

    @Override
    public CompletionStage<Void> onTrailers(MessageContext ctx, HttpHeaders trailers) {
      return later();
    }
  }
}
