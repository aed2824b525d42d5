package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * A route the benchmark loads: one of the ext_proc listener's paths, or the baseline listener (same echo,
 * no ext_proc filter), which every ratio is taken against.
 *
 * @param name the name in reports: the path ({@code /streamed}) or {@code baseline}
 * @param path the request path
 * @param baseline whether it goes to the baseline listener
 * @param bodyMode the ext_proc body mode of the route ({@code NONE} for the baseline)
 */
public record Route(String name, String path, boolean baseline, String bodyMode) {

  /** {@code /streamed}: STREAMED both ways. */
  public static final Route STREAMED = new Route("/streamed", "/streamed", false, "STREAMED");
  /** {@code /full-duplex-streamed}: FULL_DUPLEX_STREAMED both ways. */
  public static final Route FULL_DUPLEX_STREAMED =
      new Route("/full-duplex-streamed", "/full-duplex-streamed", false, "FULL_DUPLEX_STREAMED");
  /** {@code /buffered}: BUFFERED both ways (only when the body fits Envoy's buffer limit). */
  public static final Route BUFFERED = new Route("/buffered", "/buffered", false, "BUFFERED");
  /** {@code /buffered-partial}: BUFFERED_PARTIAL both ways. */
  public static final Route BUFFERED_PARTIAL = new Route("/buffered-partial", "/buffered-partial", false, "BUFFERED_PARTIAL");
  /** {@code /headers-only}: body mode NONE. */
  public static final Route HEADERS_ONLY = new Route("/headers-only", "/headers-only", false, "NONE");
  /** The baseline listener: the same echo without ext_proc (path {@code /streamed}, which it routes like any path). */
  public static final Route BASELINE = new Route("baseline", "/streamed", true, "NONE");

  /** {@code /llm}: LLM answers from the stack's llm-stub, body mode chosen per response by the server (scenario {@code sse}). */
  public static final Route LLM = new Route("/llm", "/llm/v1/chat/completions", false, "FULL_DUPLEX_STREAMED");
  /** The baseline listener's {@code /llm}: the same llm-stub without ext_proc (scenario {@code sse}). */
  public static final Route LLM_BASELINE = new Route("llm-baseline", "/llm/v1/chat/completions", true, "NONE");
  /** {@code /llm} with answers paced like a real model: 500 events at 50 per second (scenario {@code sse}). */
  public static final Route LLM_PACED = new Route("/llm-paced", "/llm/v1/chat/completions?events=500&rate=50", false,
      "FULL_DUPLEX_STREAMED");
  /** The baseline listener's {@code /llm}, paced as {@link #LLM_PACED}. */
  public static final Route LLM_PACED_BASELINE = new Route("llm-paced-baseline", "/llm/v1/chat/completions?events=500&rate=50",
      true, "NONE");

  /** The routes every scenario runs by default, in this order. */
  public static final List<Route> DEFAULTS = List.of(STREAMED, FULL_DUPLEX_STREAMED, BUFFERED, BASELINE);

  private static final List<Route> ALL = List.of(STREAMED, FULL_DUPLEX_STREAMED, BUFFERED, BUFFERED_PARTIAL, HEADERS_ONLY, BASELINE,
      LLM, LLM_BASELINE, LLM_PACED, LLM_PACED_BASELINE);

  /** Validates. */
  public Route {
    requireNonNull(name, "name");
    requireNonNull(path, "path");
    requireNonNull(bodyMode, "bodyMode");
  }

  /** Returns whether requests on this route go through the ext_proc filter. */
  public boolean usesExtProc() {
    return !baseline;
  }

  /** Returns whether Envoy buffers the whole body on this route (so it must fit the buffer limit). */
  public boolean buffersWholeBody() {
    return bodyMode.equals("BUFFERED");
  }

  /**
   * Parses a comma-separated list of route names ({@code /streamed,/full-duplex-streamed,/buffered,baseline};
   * the leading slash is optional).
   */
  public static List<Route> parseList(String list) {
    requireNonNull(list, "list");
    List<Route> routes = new ArrayList<>();
    for (String raw : list.split(",")) {
      String name = raw.trim();
      if (name.isEmpty()) {
        continue;
      }
      Route found = ALL.stream()
          .filter(r -> r.name.equals(name) || r.name.equals("/" + name))
          .findFirst()
          .orElseThrow(() -> new IllegalArgumentException("route: " + name + " (expected: one of "
              + ALL.stream().map(Route::name).toList() + ")"));
      if (!routes.contains(found)) {
        routes.add(found);
      }
    }
    if (routes.isEmpty()) {
      throw new IllegalArgumentException("routes: '" + list + "' (expected: at least one route)");
    }
    return List.copyOf(routes);
  }

  @Override
  public String toString() {
    return name;
  }
}
