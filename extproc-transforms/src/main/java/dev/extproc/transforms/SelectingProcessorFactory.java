package dev.extproc.transforms;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
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
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Chooses the processor chain of each exchange from what Envoy sent with its first message: the
 * route name (the {@value #ROUTE_NAME_ATTRIBUTE} request attribute) and other request attributes,
 * forwarded metadata ({@code metadata_context}), and the request headers: path, host ({@code :authority}), {@code
 * content-type}, {@code content-encoding}. The first matching rule wins;
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

  /**
   * The CEL attribute that carries the route's name. Envoy evaluates it when the ext_proc filter's
   * {@code request_attributes} lists it, and sends it with the first request message as a {@code
   * Struct} field of that name under the key {@value #ATTRIBUTES_KEY}.
   */
  public static final String ROUTE_NAME_ATTRIBUTE = "xds.route_name";

  /** The key of {@code ProcessingRequest.attributes} under which Envoy puts the evaluated attributes. */
  public static final String ATTRIBUTES_KEY = "envoy.filters.http.ext_proc";

  /**
   * A condition on an exchange, tested once at its first headers event (on the thread that
   * delivers it). Must not block.
   */
  @FunctionalInterface
  public interface Condition {
    /** Returns whether the exchange, with these request headers, matches. */
    boolean test(ExchangeInfo exchange, HttpHeaders headers);

    /** Returns a condition that holds when this one and {@code other} both do. */
    default Condition and(Condition other) {
      requireNonNull(other, "other");
      return (exchange, headers) -> test(exchange, headers) && other.test(exchange, headers);
    }
  }

  /** One rule: a name (for metadata and logs), a condition on the exchange, and the chain. */
  public record Rule(String name, Condition when, ProcessorFactory chain) {
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
    this.fallback = new Rule("default", (exchange, headers) -> true, requireNonNull(fallback, "fallback"));
  }

  /**
   * Matches the Envoy route named {@code name}: the {@value #ROUTE_NAME_ATTRIBUTE} attribute, which
   * Envoy sends only when the filter's {@code request_attributes} lists it (never matches otherwise).
   */
  public static Condition route(String name) {
    return attribute(ROUTE_NAME_ATTRIBUTE, name);
  }

  /**
   * Matches when the request attribute {@code name} (as written in the filter's {@code
   * request_attributes}: an attribute or any CEL expression) evaluated to the string {@code value}.
   */
  public static Condition attribute(String name, String value) {
    requireNonNull(name, "name");
    requireNonNull(value, "value");
    return (exchange, headers) -> value.equals(attribute(exchange, name));
  }

  /**
   * Matches when the forwarded metadata ({@code metadata_context.filter_metadata}) has, in {@code
   * namespace}, a string field {@code key} equal to {@code value}. Envoy forwards the namespaces
   * the filter's {@code metadata_options.forwarding_namespaces.untyped} lists.
   */
  public static Condition metadata(String namespace, String key, String value) {
    requireNonNull(namespace, "namespace");
    requireNonNull(key, "key");
    requireNonNull(value, "value");
    return (exchange, headers) -> {
      Struct fields = exchange.metadataContext().getFilterMetadataMap().get(namespace);
      Value actual = fields == null ? null : fields.getFieldsMap().get(key);
      return actual != null && actual.hasStringValue() && actual.getStringValue().equals(value);
    };
  }

  /** Returns the string value of a request attribute Envoy sent, or null. */
  static String attribute(ExchangeInfo exchange, String name) {
    Map<String, Struct> attributes = exchange.attributes();
    Struct ours = attributes.get(ATTRIBUTES_KEY);
    Value value = ours == null ? null : ours.getFieldsMap().get(name);
    return value != null && value.hasStringValue() ? value.getStringValue() : null;
  }

  /** Matches a request path starting with {@code prefix} (the query is ignored). */
  public static Condition pathPrefix(String prefix) {
    return (exchange, headers) -> {
      String path = headers.get(":path");
      if (path == null) {
        return false;
      }
      int query = path.indexOf('?');
      return (query < 0 ? path : path.substring(0, query)).startsWith(prefix);
    };
  }

  /** Matches a host ({@code :authority} without the port), case-insensitively. */
  public static Condition host(String host) {
    String wanted = host.toLowerCase(Locale.ROOT);
    return (exchange, headers) -> {
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
  public static Condition contentType(String pattern) {
    String wanted = pattern.toLowerCase(Locale.ROOT);
    return (exchange, headers) -> {
      String media = TextCharset.of(headers.get("content-type")).mediaType();
      return wanted.endsWith("*") ? media.startsWith(wanted.substring(0, wanted.length() - 1)) : media.equals(wanted);
    };
  }

  /** Matches a {@code content-encoding} value, case-insensitively ("identity" matches none). */
  public static Condition contentEncoding(String coding) {
    String wanted = coding.toLowerCase(Locale.ROOT);
    return (exchange, headers) -> {
      String value = headers.get("content-encoding");
      String actual = value == null ? "identity" : value.trim().toLowerCase(Locale.ROOT);
      return actual.equals(wanted);
    };
  }

  @Override
  public ExchangeHandler newProcessor(ExchangeInfo exchange) {
    return new Selection(exchange);
  }

  private Rule choose(ExchangeInfo exchange, HttpHeaders headers) {
    for (Rule rule : rules) {
      if (rule.when().test(exchange, headers)) {
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
        Rule rule = choose(exchange, headers);
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
