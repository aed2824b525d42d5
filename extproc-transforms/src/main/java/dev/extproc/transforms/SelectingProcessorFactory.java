package dev.extproc.transforms;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import dev.extproc.Direction;
import dev.extproc.DirectionContext;
import dev.extproc.DirectionProcessor;
import dev.extproc.ExchangeHandler;
import dev.extproc.ExchangeInfo;
import dev.extproc.ExchangeOutcome;
import dev.extproc.HttpHeaders;
import dev.extproc.ProcessorFactory;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

/**
 * Chooses the processor chain of each exchange from its request headers: path, host ({@code
 * :authority}), {@code content-type}, {@code content-encoding}. The first matching rule wins;
 * an unmatched exchange goes to the fallback (typically pass-through, which copies nothing). The
 * choice is made at the first headers event (the request's, unless Envoy skips it) and applies to
 * both directions; its name is put in dynamic metadata ({@value #NAMESPACE}, key {@code chain}).
 *
 * <p>The choice is not known when the engine asks {@link DirectionProcessor#holdsBack()}, so the
 * selecting processor says {@code true} for every exchange: every chain gets the engine's
 * look-ahead guarantee, at the price of one chunk of latency in STREAMED also for pass-through.
 */
public final class SelectingProcessorFactory implements ProcessorFactory {
  /** The dynamic metadata namespace of the choice. */
  public static final String NAMESPACE = "extproc.select";

  /** One rule: a name (for metadata and logs), a condition on the headers, and the chain. */
  public record Rule(String name, Predicate<HttpHeaders> when, ProcessorFactory chain) {
    public Rule {
      requireNonNull(name, "name");
      requireNonNull(when, "when");
      requireNonNull(chain, "chain");
    }
  }

  private final List<Rule> rules;
  private final Rule fallback;

  public SelectingProcessorFactory(List<Rule> rules, ProcessorFactory fallback) {
    this.rules = List.copyOf(rules);
    this.fallback = new Rule("default", headers -> true, requireNonNull(fallback, "fallback"));
  }

  /** Matches a request path starting with {@code prefix} (the query is ignored). */
  public static Predicate<HttpHeaders> pathPrefix(String prefix) {
    return headers -> {
      String path = headers.get(":path");
      if (path == null) {
        return false;
      }
      int query = path.indexOf('?');
      return (query < 0 ? path : path.substring(0, query)).startsWith(prefix);
    };
  }

  /** Matches a host ({@code :authority} without the port), case-insensitively. */
  public static Predicate<HttpHeaders> host(String host) {
    String wanted = host.toLowerCase(Locale.ROOT);
    return headers -> {
      String authority = headers.get(":authority");
      if (authority == null) {
        return false;
      }
      int colon = authority.lastIndexOf(':');
      String name = colon > 0 && authority.indexOf(']') < colon ? authority.substring(0, colon) : authority;
      return name.toLowerCase(Locale.ROOT).equals(wanted);
    };
  }

  /** Matches the media type of {@code content-type} exactly, or its prefix when it ends with '*'. */
  public static Predicate<HttpHeaders> contentType(String pattern) {
    String wanted = pattern.toLowerCase(Locale.ROOT);
    return headers -> {
      String media = TextCharset.of(headers.get("content-type")).mediaType();
      return wanted.endsWith("*") ? media.startsWith(wanted.substring(0, wanted.length() - 1)) : media.equals(wanted);
    };
  }

  /** Matches a {@code content-encoding} value, case-insensitively ("identity" matches none). */
  public static Predicate<HttpHeaders> contentEncoding(String coding) {
    String wanted = coding.toLowerCase(Locale.ROOT);
    return headers -> {
      String value = headers.get("content-encoding");
      String actual = value == null ? "identity" : value.trim().toLowerCase(Locale.ROOT);
      return actual.equals(wanted);
    };
  }

  @Override
  public ExchangeHandler newProcessor(ExchangeInfo exchange) {
    return new Selection(exchange);
  }

  private Rule choose(HttpHeaders headers) {
    for (Rule rule : rules) {
      if (rule.when().test(headers)) {
        return rule;
      }
    }
    return fallback;
  }

  /** One exchange: the chain is made at the first headers event. */
  private final class Selection implements ExchangeHandler {
    private final ExchangeInfo exchange;
    private final Slot request = new Slot(Direction.REQUEST);
    private final Slot response = new Slot(Direction.RESPONSE);
    private ExchangeHandler chosen;

    Selection(ExchangeInfo exchange) {
      this.exchange = exchange;
    }

    @Override
    public DirectionProcessor request() {
      return request;
    }

    @Override
    public DirectionProcessor response() {
      return response;
    }

    @Override
    public void onClose(ExchangeOutcome outcome) {
      if (chosen != null) {
        chosen.onClose(outcome);
      }
    }

    private DirectionProcessor delegate(Direction direction, DirectionContext ctx, HttpHeaders headers) {
      if (chosen == null) {
        Rule rule = choose(headers);
        chosen = rule.chain().newProcessor(exchange);
        ctx.exchange().putMetadata(NAMESPACE, "chain", rule.name());
      }
      return direction == Direction.REQUEST ? chosen.request() : chosen.response();
    }

    /** One direction; forwards every event to the chosen chain's processor. */
    private final class Slot implements DirectionProcessor {
      private final Direction direction;
      private DirectionProcessor target;

      Slot(Direction direction) {
        this.direction = direction;
      }

      private DirectionProcessor target(DirectionContext ctx, HttpHeaders headers) {
        if (target == null) {
          target = delegate(direction, ctx, headers);
        }
        return target;
      }

      @Override
      public boolean holdsBack() {
        return true;
      }

      @Override
      public CompletionStage<Void> onHeaders(DirectionContext ctx, HttpHeaders headers, boolean endOfStream) {
        return target(ctx, headers).onHeaders(ctx, headers, endOfStream);
      }

      @Override
      public CompletionStage<Void> onBody(DirectionContext ctx, ByteString chunk, boolean last) {
        return target(ctx, HttpHeaders.empty()).onBody(ctx, chunk, last);
      }

      @Override
      public CompletionStage<Void> onEnd(DirectionContext ctx) {
        return target(ctx, HttpHeaders.empty()).onEnd(ctx);
      }

      @Override
      public CompletionStage<Void> onTrailers(DirectionContext ctx, HttpHeaders trailers) {
        return target(ctx, HttpHeaders.empty()).onTrailers(ctx, trailers);
      }
    }
  }

  @Override
  public String toString() {
    return "select" + rules.stream().map(Rule::name).toList();
  }
}
