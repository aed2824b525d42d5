// Command validate checks the project's Kubernetes, Envoy Gateway and Istio manifests without a
// cluster: every document is decoded strictly (an unknown or misspelt field is an error) into the
// real API types of its kind, a few rules the API types cannot express are checked, and the Envoy
// configuration inside the Istio EnvoyFilter is decoded into Envoy's own types, validated with their
// generated rules, and written into an Envoy bootstrap for `envoy --mode validate`.
//
// Usage: validate [-bootstrap FILE] MANIFEST...
//
// Exit status 1 with one line per problem, naming file, document, kind and name.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	istionet "istio.io/api/networking/v1alpha3"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// document is one YAML document of a manifest file.
type document struct {
	file  string
	index int
	kind  string
	name  string
	raw   []byte
}

func (d document) String() string {
	return fmt.Sprintf("%s (document %d, %s %s)", d.file, d.index, d.kind, d.name)
}

// problems collects what is wrong, one line each.
type problems []string

func (p *problems) add(d document, format string, args ...any) {
	*p = append(*p, d.String()+": "+fmt.Sprintf(format, args...))
}

var separator = regexp.MustCompile(`(?m)^---[ \t]*$`)

func main() {
	bootstrapOut := flag.String("bootstrap", "", "write an Envoy bootstrap holding the EnvoyFilter's ext_proc configuration to this file (JSON)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: validate [-bootstrap FILE] MANIFEST...")
		os.Exit(2)
	}
	var found problems
	istio := &istioPatches{}
	checked := 0
	for _, file := range flag.Args() {
		data, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(os.Stderr, "validate: %v\n", err)
			os.Exit(2)
		}
		for i, raw := range separator.Split(string(data), -1) {
			if strings.TrimSpace(stripComments(raw)) == "" {
				continue
			}
			d := document{file: file, index: i + 1, raw: []byte(raw)}
			var head struct {
				APIVersion string            `json:"apiVersion"`
				Kind       string            `json:"kind"`
				Metadata   metav1.ObjectMeta `json:"metadata"`
			}
			if err := yaml.Unmarshal(d.raw, &head); err != nil {
				found.add(d, "not YAML: %v", err)
				continue
			}
			d.kind, d.name = head.APIVersion+"/"+head.Kind, head.Metadata.Name
			checkDocument(d, istio, &found)
			checked++
		}
	}
	if *bootstrapOut != "" {
		bootstrap, err := istio.bootstrap()
		if err != nil {
			found = append(found, "bootstrap: "+err.Error())
		} else if err := os.WriteFile(*bootstrapOut, bootstrap, 0o644); err != nil {
			found = append(found, "bootstrap: "+err.Error())
		}
	}
	for _, p := range found {
		fmt.Println("INVALID " + p)
	}
	if len(found) > 0 {
		os.Exit(1)
	}
	fmt.Printf("validate: %d documents valid\n", checked)
}

func stripComments(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// strict decodes into a typed object, refusing unknown and duplicate fields.
func strict(d document, into any, found *problems) bool {
	if err := yaml.UnmarshalStrict(d.raw, into); err != nil {
		found.add(d, "%v", err)
		return false
	}
	return true
}

func checkDocument(d document, istio *istioPatches, found *problems) {
	switch d.kind {
	case "apps/v1/Deployment":
		var o appsv1.Deployment
		if strict(d, &o, found) {
			checkDeployment(d, &o, found)
		}
	case "v1/Service":
		var o corev1.Service
		if strict(d, &o, found) {
			for _, port := range o.Spec.Ports {
				if port.AppProtocol == nil {
					found.add(d, "port %s has no appProtocol (Istio needs it to speak HTTP/2 to the processor)", port.Name)
				}
			}
		}
	case "v1/ServiceAccount":
		strict(d, &corev1.ServiceAccount{}, found)
	case "v1/ConfigMap":
		strict(d, &corev1.ConfigMap{}, found)
	case "policy/v1/PodDisruptionBudget":
		strict(d, &policyv1.PodDisruptionBudget{}, found)
	case "autoscaling/v2/HorizontalPodAutoscaler":
		strict(d, &autoscalingv2.HorizontalPodAutoscaler{}, found)
	case "gateway.networking.k8s.io/v1/Gateway":
		strict(d, &gwapiv1.Gateway{}, found)
	case "gateway.networking.k8s.io/v1/HTTPRoute":
		strict(d, &gwapiv1.HTTPRoute{}, found)
	case "gateway.networking.k8s.io/v1/GatewayClass":
		strict(d, &gwapiv1.GatewayClass{}, found)
	case "gateway.envoyproxy.io/v1alpha1/EnvoyExtensionPolicy":
		var o egv1a1.EnvoyExtensionPolicy
		if strict(d, &o, found) {
			checkExtensionPolicy(d, &o, found)
		}
	case "gateway.envoyproxy.io/v1alpha1/BackendTrafficPolicy":
		strict(d, &egv1a1.BackendTrafficPolicy{}, found)
	case "networking.istio.io/v1alpha3/EnvoyFilter", "networking.istio.io/v1/EnvoyFilter":
		var spec istionet.EnvoyFilter
		if istioSpec(d, &spec, found) {
			istio.add(d, found)
		}
	case "networking.istio.io/v1alpha3/DestinationRule", "networking.istio.io/v1/DestinationRule":
		var spec istionet.DestinationRule
		if istioSpec(d, &spec, found) && spec.GetTrafficPolicy().GetConnectionPool().GetHttp().GetMaxConcurrentStreams() != 16 {
			found.add(d, "connectionPool.http.maxConcurrentStreams must be 16 (side streams per connection, docs/envoy.md)")
		}
	case "networking.istio.io/v1alpha3/VirtualService", "networking.istio.io/v1/VirtualService":
		istioSpec(d, &istionet.VirtualService{}, found)
	default:
		found.add(d, "no validation for this kind: add it to deploy/validate")
	}
}

// istioSpec decodes an Istio resource: metadata strictly as Kubernetes metadata, the spec with
// protojson into Istio's own proto type (strict: unknown fields and bad enum names are errors;
// Istio's generated JSON decoders would accept them).
func istioSpec(d document, spec proto.Message, found *problems) bool {
	var envelope struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metav1.ObjectMeta `json:"metadata"`
		Spec       json.RawMessage   `json:"spec"`
	}
	if err := yaml.UnmarshalStrict(d.raw, &envelope); err != nil {
		found.add(d, "%v", err)
		return false
	}
	if err := protojson.Unmarshal(envelope.Spec, spec); err != nil {
		found.add(d, "spec: %v", err)
		return false
	}
	return true
}

func checkDeployment(d document, o *appsv1.Deployment, found *problems) {
	pod := o.Spec.Template.Spec
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			found.add(d, "container %s: securityContext.readOnlyRootFilesystem must be true", c.Name)
		}
		if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			found.add(d, "container %s: securityContext.allowPrivilegeEscalation must be false", c.Name)
		}
		for _, probe := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe, c.StartupProbe} {
			if probe == nil || probe.GRPC == nil {
				found.add(d, "container %s: readiness, liveness and startup probes must be gRPC probes on the health service", c.Name)
				break
			}
		}
		jvm := ""
		for _, e := range c.Env {
			if e.Name == "JDK_JAVA_OPTIONS" {
				jvm = e.Value
			}
		}
		if !strings.Contains(jvm, "-XX:MaxRAMPercentage=") || !strings.Contains(jvm, "-XX:+ExitOnOutOfMemoryError") {
			found.add(d, "container %s: JDK_JAVA_OPTIONS must size the heap from the limit and exit on OutOfMemoryError (got %q)", c.Name, jvm)
		}
		if c.Resources.Limits.Memory().IsZero() {
			found.add(d, "container %s: a memory limit is needed (the heap is derived from it)", c.Name)
		}
		drain := int64(0)
		for _, a := range c.Args {
			var seconds int64
			if _, err := fmt.Sscanf(a, "--shutdown-grace=%ds", &seconds); err == nil {
				drain += seconds
			}
		}
		if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Exec != nil {
			cmd := c.Lifecycle.PreStop.Exec.Command
			var seconds int64
			if len(cmd) == 2 && cmd[0] == "sleep" {
				if _, err := fmt.Sscanf(cmd[1], "%d", &seconds); err == nil {
					drain += seconds
				}
			}
		}
		if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds <= drain {
			found.add(d, "terminationGracePeriodSeconds must exceed the preStop sleep plus --shutdown-grace (%d s)", drain)
		}
	}
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		found.add(d, "securityContext.runAsNonRoot must be true")
	}
}

func checkExtensionPolicy(d document, o *egv1a1.EnvoyExtensionPolicy, found *problems) {
	known := map[egv1a1.ExtProcBodyProcessingMode]bool{
		egv1a1.StreamedExtProcBodyProcessingMode: true, egv1a1.BufferedExtProcBodyProcessingMode: true,
		egv1a1.FullDuplexStreamedExtBodyProcessingMode: true, egv1a1.BufferedPartialExtBodyHeaderProcessingMode: true,
	}
	for i, p := range o.Spec.ExtProc {
		fullDuplex := false
		if m := p.ProcessingMode; m != nil {
			for _, dir := range []*egv1a1.ProcessingModeOptions{m.Request, m.Response} {
				if dir == nil || dir.Body == nil {
					continue
				}
				if !known[*dir.Body] {
					found.add(d, "extProc[%d]: unknown body mode %q", i, *dir.Body)
				}
				fullDuplex = fullDuplex || *dir.Body == egv1a1.FullDuplexStreamedExtBodyProcessingMode
			}
		}
		if fullDuplex && p.FailOpen != nil && *p.FailOpen {
			found.add(d, "extProc[%d]: failOpen cannot be true with FullDuplexStreamed (Envoy Gateway's CEL rule)", i)
		}
		s := p.BackendSettings
		if s == nil || s.HTTP2 == nil || s.HTTP2.MaxConcurrentStreams == nil || *s.HTTP2.MaxConcurrentStreams != 16 {
			found.add(d, "extProc[%d]: backendSettings.http2.maxConcurrentStreams must be 16 (side streams per connection, docs/envoy.md)", i)
		}
		if s == nil || s.Connection == nil || s.Connection.BufferLimit == nil {
			found.add(d, "extProc[%d]: backendSettings.connection.bufferLimit must be set (the side stream's watermark)", i)
		}
		if s != nil && s.Retry != nil && s.Retry.RetryOn != nil {
			for _, t := range s.Retry.RetryOn.Triggers {
				if !retryTriggers[string(t)] {
					found.add(d, "extProc[%d]: unknown retry trigger %q", i, t)
				}
			}
		}
	}
}

// retryTriggers are the values of Envoy Gateway's TriggerEnum (api/v1alpha1/retry_types.go).
var retryTriggers = map[string]bool{
	"5xx": true, "gateway-error": true, "reset": true, "reset-before-request": true, "connect-failure": true,
	"retriable-4xx": true, "refused-stream": true, "retriable-status-codes": true, "cancelled": true,
	"deadline-exceeded": true, "internal": true, "resource-exhausted": true, "unavailable": true,
}

func toJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
