package main

import (
	"encoding/json"
	"fmt"
	"sort"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"
)

const extProcFilter = "envoy.filters.http.ext_proc"

// istioPatches gathers the EnvoyFilter patches that carry Envoy configuration: the ext_proc HTTP
// filter, per-route overrides by route name, and cluster merges by cluster name.
type istioPatches struct {
	filter   json.RawMessage
	routes   map[string]json.RawMessage
	clusters map[string]json.RawMessage
}

type envoyFilterDoc struct {
	Spec struct {
		ConfigPatches []struct {
			ApplyTo string `json:"applyTo"`
			Match   struct {
				RouteConfiguration struct {
					Vhost struct {
						Route struct {
							Name string `json:"name"`
						} `json:"route"`
					} `json:"vhost"`
				} `json:"routeConfiguration"`
				Cluster struct {
					Name string `json:"name"`
				} `json:"cluster"`
			} `json:"match"`
			Patch struct {
				Operation string          `json:"operation"`
				Value     json.RawMessage `json:"value"`
			} `json:"patch"`
		} `json:"configPatches"`
	} `json:"spec"`
}

// strictJSON is protojson with unknown fields refused (its default), for Envoy's own types.
var strictJSON = protojson.UnmarshalOptions{}

// add decodes every patch value of an EnvoyFilter with Envoy's types and checks the rules the
// types cannot express (trailer SEND with FULL_DUPLEX_STREAMED, no fail-open).
func (p *istioPatches) add(d document, found *problems) {
	var doc envoyFilterDoc
	if err := yaml.Unmarshal(d.raw, &doc); err != nil {
		found.add(d, "%v", err)
		return
	}
	if p.routes == nil {
		p.routes, p.clusters = map[string]json.RawMessage{}, map[string]json.RawMessage{}
	}
	for i, patch := range doc.Spec.ConfigPatches {
		value := patch.Patch.Value
		switch patch.ApplyTo {
		case "HTTP_FILTER":
			var filter hcmv3.HttpFilter
			if err := strictJSON.Unmarshal(value, &filter); err != nil {
				found.add(d, "configPatches[%d] value: %v", i, err)
				continue
			}
			if filter.GetName() != extProcFilter {
				continue
			}
			var config extprocv3.ExternalProcessor
			if err := filter.GetTypedConfig().UnmarshalTo(&config); err != nil {
				found.add(d, "configPatches[%d]: typed_config is not an ExternalProcessor: %v", i, err)
				continue
			}
			if err := config.ValidateAll(); err != nil {
				found.add(d, "configPatches[%d]: %v", i, err)
			}
			if config.GetFailureModeAllow() {
				found.add(d, "configPatches[%d]: failure_mode_allow must be false", i)
			}
			checkMode(d, found, fmt.Sprintf("configPatches[%d]", i), config.GetProcessingMode())
			p.filter = value
		case "HTTP_ROUTE":
			var route routev3.Route
			if err := strictJSON.Unmarshal(value, &route); err != nil {
				found.add(d, "configPatches[%d] value: %v", i, err)
				continue
			}
			perRoute, ok := route.GetTypedPerFilterConfig()[extProcFilter]
			if !ok {
				continue
			}
			var config extprocv3.ExtProcPerRoute
			if err := perRoute.UnmarshalTo(&config); err != nil {
				found.add(d, "configPatches[%d]: not an ExtProcPerRoute: %v", i, err)
				continue
			}
			if err := config.ValidateAll(); err != nil {
				found.add(d, "configPatches[%d]: %v", i, err)
			}
			checkMode(d, found, fmt.Sprintf("configPatches[%d]", i), config.GetOverrides().GetProcessingMode())
			name := patch.Match.RouteConfiguration.Vhost.Route.Name
			if name == "" {
				found.add(d, "configPatches[%d]: an HTTP_ROUTE patch must match a route by name", i)
				continue
			}
			p.routes[name] = value
		case "CLUSTER":
			var cluster clusterv3.Cluster
			if err := strictJSON.Unmarshal(value, &cluster); err != nil {
				found.add(d, "configPatches[%d] value: %v", i, err)
				continue
			}
			for name, any := range cluster.GetTypedExtensionProtocolOptions() {
				var options httpv3.HttpProtocolOptions
				if err := any.UnmarshalTo(&options); err != nil {
					found.add(d, "configPatches[%d]: %s: %v", i, name, err)
				} else if err := options.ValidateAll(); err != nil {
					found.add(d, "configPatches[%d]: %s: %v", i, name, err)
				}
			}
			p.clusters[patch.Match.Cluster.Name] = value
		default:
			found.add(d, "configPatches[%d]: applyTo %s is not checked by deploy/validate", i, patch.ApplyTo)
		}
	}
}

func checkMode(d document, found *problems, where string, mode *extprocv3.ProcessingMode) {
	if mode == nil {
		return
	}
	if mode.GetRequestBodyMode() == extprocv3.ProcessingMode_FULL_DUPLEX_STREAMED && mode.GetRequestTrailerMode() != extprocv3.ProcessingMode_SEND {
		found.add(d, "%s: request_trailer_mode must be SEND with FULL_DUPLEX_STREAMED", where)
	}
	if mode.GetResponseBodyMode() == extprocv3.ProcessingMode_FULL_DUPLEX_STREAMED && mode.GetResponseTrailerMode() != extprocv3.ProcessingMode_SEND {
		found.add(d, "%s: response_trailer_mode must be SEND with FULL_DUPLEX_STREAMED", where)
	}
}

// bootstrap builds an Envoy bootstrap in which the patches land where Istio puts them: the ext_proc
// filter before the router, the per-route configurations on routes of those names, and the cluster
// merges on the processor's cluster (an HTTP/2 cluster, as Istio makes it for a gRPC port).
func (p *istioPatches) bootstrap() ([]byte, error) {
	if p.filter == nil {
		return nil, fmt.Errorf("no EnvoyFilter with an %s HTTP_FILTER patch among the manifests", extProcFilter)
	}
	var filter map[string]any
	if err := json.Unmarshal(p.filter, &filter); err != nil {
		return nil, err
	}
	clusterName, err := extProcClusterName(p.filter)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(p.routes))
	for name := range p.routes {
		names = append(names, name)
	}
	sort.Strings(names)
	var routes []any
	for _, name := range names {
		var route map[string]any
		if err := json.Unmarshal(p.routes[name], &route); err != nil {
			return nil, err
		}
		route["name"] = name
		route["match"] = map[string]any{"prefix": "/" + name}
		route["route"] = map[string]any{"cluster": "upstream"}
		routes = append(routes, route)
	}
	routes = append(routes, map[string]any{"match": map[string]any{"prefix": "/"}, "route": map[string]any{"cluster": "upstream"}})
	processor := staticCluster(clusterName, 9001)
	processor["typed_extension_protocol_options"] = map[string]any{
		"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": map[string]any{
			"@type":                "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
			"explicit_http_config": map[string]any{"http2_protocol_options": map[string]any{}},
		},
	}
	if merge, ok := p.clusters[clusterName]; ok {
		var fields map[string]any
		if err := json.Unmarshal(merge, &fields); err != nil {
			return nil, err
		}
		for k, v := range fields {
			processor[k] = v
		}
	}
	bootstrap := map[string]any{
		"static_resources": map[string]any{
			"listeners": []any{map[string]any{
				"name":    "gateway",
				"address": map[string]any{"socket_address": map[string]any{"address": "127.0.0.1", "port_value": 0}},
				"filter_chains": []any{map[string]any{"filters": []any{map[string]any{
					"name": "envoy.filters.network.http_connection_manager",
					"typed_config": map[string]any{
						"@type":       "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
						"stat_prefix": "gateway",
						"http_filters": []any{filter, map[string]any{
							"name":         "envoy.filters.http.router",
							"typed_config": map[string]any{"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
						}},
						"route_config": map[string]any{"virtual_hosts": []any{map[string]any{
							"name": "gateway", "domains": []any{"*"}, "routes": routes,
						}}},
					},
				}}}},
			}},
			"clusters": []any{processor, staticCluster("upstream", 8080)},
		},
	}
	return toJSON(bootstrap), nil
}

func extProcClusterName(filter json.RawMessage) (string, error) {
	var f hcmv3.HttpFilter
	if err := strictJSON.Unmarshal(filter, &f); err != nil {
		return "", err
	}
	var config extprocv3.ExternalProcessor
	if err := f.GetTypedConfig().UnmarshalTo(&config); err != nil {
		return "", err
	}
	name := config.GetGrpcService().GetEnvoyGrpc().GetClusterName()
	if name == "" {
		return "", fmt.Errorf("the ext_proc filter has no grpc_service.envoy_grpc.cluster_name")
	}
	return name, nil
}

func staticCluster(name string, port int) map[string]any {
	return map[string]any{
		"name":            name,
		"type":            "STATIC",
		"connect_timeout": "1s",
		"load_assignment": map[string]any{
			"cluster_name": name,
			"endpoints": []any{map[string]any{"lb_endpoints": []any{map[string]any{"endpoint": map[string]any{
				"address": map[string]any{"socket_address": map[string]any{"address": "127.0.0.1", "port_value": port}},
			}}}}},
		},
	}
}
