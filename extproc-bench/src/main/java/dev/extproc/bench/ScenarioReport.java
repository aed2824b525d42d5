package dev.extproc.bench;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * One run of a scenario (one variant: the seed with the aggregating echo, passthrough at concurrency 50, ...)
 * over its routes.
 *
 * @param scenario {@code seed}, {@code passthrough}, {@code slow-processor} or {@code small}
 * @param variant what distinguishes this run within the scenario ({@code aggregating-echo}, {@code c10})
 * @param description one sentence on the setup
 * @param concurrency concurrent uploads (or connections)
 * @param bodyBytes the request body size
 * @param settings the processor chain, echo mode and Envoy knobs of the run
 * @param routes one report per route, in the order run
 * @param targets the verdicts on the targets that concern this run
 * @param charts chart files of this run, relative to the run directory
 * @param recordings the meter samples per route (not in the JSON; written as CSV)
 */
public record ScenarioReport(
    @JsonProperty("scenario") String scenario,
    @JsonProperty("variant") String variant,
    @JsonProperty("description") String description,
    @JsonProperty("concurrency") int concurrency,
    @JsonProperty("body_bytes") long bodyBytes,
    @JsonProperty("settings") Map<String, String> settings,
    @JsonProperty("routes") List<RouteReport> routes,
    @JsonProperty("targets") List<TargetVerdict> targets,
    @JsonProperty("charts") List<String> charts,
    @JsonIgnore Map<String, MemoryRecording> recordings) {

  /** Validates and copies. */
  public ScenarioReport {
    requireNonNull(scenario, "scenario");
    requireNonNull(variant, "variant");
    requireNonNull(description, "description");
    settings = Map.copyOf(settings);
    routes = List.copyOf(routes);
    targets = List.copyOf(targets);
    charts = List.copyOf(charts);
    recordings = Map.copyOf(recordings);
  }

  /** Returns the same report with other target verdicts and charts. */
  public ScenarioReport with(List<TargetVerdict> targets, List<String> charts) {
    return new ScenarioReport(scenario, variant, description, concurrency, bodyBytes, settings, routes, targets, charts, recordings);
  }

  /** Returns the report of a route, if it is part of this run. */
  public java.util.Optional<RouteReport> route(String name) {
    return routes.stream().filter(r -> r.route().equals(name)).findFirst();
  }

  /** Returns a key unique within a report: {@code scenario-variant}. */
  @JsonIgnore
  public String key() {
    return variant.isEmpty() ? scenario : scenario + "-" + variant;
  }
}
