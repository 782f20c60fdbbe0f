//go:build netpol

// NetworkPolicy enforcement needs kube-network-policies to program
// nftables rules that queue packets to it (the nft "queue" statement,
// kernel option CONFIG_NFT_QUEUE). The CI machines' kernel lacks it, so
// the enforcer cannot install a rule there and nothing is enforced; this
// test, which fails when nothing is enforced, runs with `make test-netpol`
// on a kernel that has it (docs/e2e.md, "Real node").

package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ack-platform/ack-platform/stacks/config"
)

// TestNetworkPolicyEnforced: kube-network-policies (tools/cluster.sh up
// --node, NODE_NETPOL=1) enforces the program's own NetworkPolicies on the node. Every
// call is made from inside a pod of the program (an ephemeral container of
// the client stand-in shares the pod's network, so the packets carry the
// pod's IP and meet its policies):
//   - a declared call (a backend's `calls`) succeeds;
//   - an undeclared call between two backends of the same namespace is
//     refused, while a declared caller reaches the same backend;
//   - a pod outside the environment cannot reach the gateway, which the
//     client beside the ingress controller reaches;
//   - egress to a declared endpoint (its address set for the environment)
//     succeeds, and the same address is refused to a service that does not
//     declare the endpoint.
func TestNetworkPolicyEnforced(t *testing.T) {
	p := deployed(t)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	env := slices.Sorted(maps.Keys(p.environments))[0]
	ns := p.namespace(env)
	pols, err := list(ctx, "networkpolicy", "-n", ns)
	if err != nil || len(pols) == 0 {
		t.Fatalf("the program declares no NetworkPolicy in %s (%v): nothing to enforce", ns, err)
	}

	caller, callee, outsider, withEndpoint, endpoint, without := p.policyCases(t)
	port, err := servicePort(ctx, ns, callee)
	if err != nil {
		t.Fatal(err)
	}
	calleeURL := fmt.Sprintf("http://%s.%s.svc.cluster.local:%d/hello", callee, ns, port)

	t.Run("declared call succeeds", func(t *testing.T) {
		res := callFrom(t, ctx, ns, caller, calleeURL)
		if res["status"] != float64(200) {
			t.Fatalf("%s -> %s (declared): %v", caller, calleeURL, res)
		}
		t.Logf("%s -> %s: %v", caller, callee, res["status"])
	})
	t.Run("undeclared call is refused", func(t *testing.T) {
		res := callFrom(t, ctx, ns, outsider, calleeURL)
		if res["error"] == nil {
			t.Fatalf("%s -> %s is not declared, yet it answered: %v", outsider, calleeURL, res)
		}
		t.Logf("%s -> %s refused: %v", outsider, callee, res["error"])
	})
	t.Run("a pod outside the environment cannot reach the gateway", func(t *testing.T) {
		gws := p.servicesOfKind(config.KindGateway)
		u := gatewayURL(t, ctx, p, env, callee, "hello")
		edge := clientPod(t, ctx)
		if res, err := awaitRoute(ctx, edge, u); err != nil || res["status"] != float64(200) {
			t.Fatalf("from beside the ingress controller, %s: %v %v", u, res, err)
		}
		other := startClient(t, ctx, outsiderNS, "client", map[string]string{"app": "node-e2e-outsider"})
		res, err := clientCall(ctx, other, "/call", map[string][]string{"url": {u}})
		if err != nil {
			t.Fatal(err)
		}
		if res["error"] == nil {
			t.Fatalf("a pod in %s reached %s's gateway: %v", outsiderNS, env, res)
		}
		t.Logf("%s -> %s refused: %v", outsiderNS, gws[0], res["error"])
	})
	t.Run("egress to a declared endpoint succeeds", func(t *testing.T) {
		ep := p.catalog.Endpoints[endpoint]
		epPort := ep.Ports[0].Port
		ip := startClient(t, ctx, endpointNS, endpoint, map[string]string{"app": "node-e2e-endpoint"}, "-listen", fmt.Sprintf(":%d", epPort))
		key := fmt.Sprintf("%s:environments.%s.endpoints.%s", config.Namespace, env, endpoint)
		restore := p.setEndpoint(t, ctx, env, endpoint, ip+"/32")
		defer restore()
		u := fmt.Sprintf("http://%s:%d/ready", ip, epPort)
		res := callFrom(t, ctx, ns, withEndpoint, u)
		if res["status"] != float64(200) {
			t.Fatalf("%s -> %s (%s at %s, declared): %v", withEndpoint, endpoint, key, u, res)
		}
		res = callFrom(t, ctx, ns, without, u)
		if res["error"] == nil {
			t.Fatalf("%s does not declare %s, yet reached %s: %v", without, endpoint, u, res)
		}
		t.Logf("%s -> %s (%s): 200; %s -> the same address refused: %v", withEndpoint, endpoint, u, without, res["error"])
	})
}

// policyCases picks from the catalog: a backend that calls another
// (caller -> callee), a backend that neither is nor calls the callee
// (outsider), a service that declares an external endpoint
// (withEndpoint, endpoint) and one that does not declare it (without).
func (p *project) policyCases(t *testing.T) (caller, callee, outsider, withEndpoint, endpoint, without string) {
	t.Helper()
	backends := p.servicesOfKind(config.KindBackend)
	for _, b := range backends {
		for _, c := range p.catalog.Services[b].Calls {
			if caller == "" && p.catalog.Services[c].Kind == config.KindBackend {
				caller, callee = b, c
			}
		}
	}
	for _, b := range backends {
		if outsider == "" && b != caller && b != callee && !slices.Contains(p.catalog.Services[b].Calls, callee) {
			outsider = b
		}
		if eps := p.catalog.Services[b].Endpoints; withEndpoint == "" && len(eps) > 0 {
			withEndpoint, endpoint = b, eps[0]
		}
	}
	for _, b := range backends {
		if without == "" && endpoint != "" && !slices.Contains(p.catalog.Services[b].Endpoints, endpoint) {
			without = b
		}
	}
	if caller == "" || outsider == "" || withEndpoint == "" || without == "" {
		t.Fatalf("the catalog lacks a backend-to-backend call (%q -> %q), a backend uninvolved in it (%q), or a backend with an endpoint (%q) and one without (%q)",
			caller, callee, outsider, withEndpoint, without)
	}
	return caller, callee, outsider, withEndpoint, endpoint, without
}

// setEndpoint points an environment's endpoint at cidr and applies it; the
// returned func restores the stack file's value and applies that.
func (p *project) setEndpoint(t *testing.T, ctx context.Context, env, endpoint, cidr string) func() {
	t.Helper()
	key := fmt.Sprintf("%s:environments.%s.endpoints.%s", config.Namespace, env, endpoint)
	own, had := p.environments[env].Endpoints[endpoint]
	if _, err := p.pulumi(ctx, "config", "set", "--path", key+".cidrs[0]", cidr); err != nil {
		t.Fatal(err)
	}
	if err := p.up(ctx); err != nil {
		t.Fatal(err)
	}
	return func() {
		var err error
		if had {
			_, err = p.pulumi(ctx, "config", "set", "--path", key+".cidrs[0]", own.Cidrs[0])
		} else {
			_, err = p.pulumi(ctx, "config", "rm", "--path", key)
		}
		if err == nil {
			err = p.up(ctx)
		}
		if err != nil {
			t.Errorf("restoring %s: %v", key, err)
		}
	}
}

var probes atomic.Int32

// callFrom makes one GET of u from inside a running pod of service svc in
// ns: an ephemeral container of the client stand-in, in the pod's network
// namespace, prints the result, which is read from its log.
func callFrom(t *testing.T, ctx context.Context, ns, svc, u string) map[string]any {
	t.Helper()
	pod, err := kubectl(ctx, "", "-n", ns, "get", "pods", "-l", "app.kubernetes.io/name="+svc,
		"--field-selector=status.phase=Running", "-o", "jsonpath={.items[0].metadata.name}")
	if err != nil || pod == "" {
		t.Fatalf("no running pod of %s in %s: %v", svc, ns, err)
	}
	// The restricted profile, as a user that is not root: the images of
	// the program's pods may run as root by default, the client must not.
	custom := filepath.Join(t.TempDir(), "probe.json")
	spec := fmt.Sprintf(`{"securityContext": %s}`, toJSON(t, clientSecurity))
	if err := os.WriteFile(custom, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("netpol-probe-%d", probes.Add(1))
	if _, err := kubectl(ctx, "", "-n", ns, "debug", "pod/"+pod, "--image="+clientImage, "--container="+name,
		"--profile=restricted", "--custom="+custom, "--arguments-only", "--", "-call", u); err != nil {
		t.Fatal(err)
	}
	jp := fmt.Sprintf(`jsonpath={.status.ephemeralContainerStatuses[?(@.name=="%s")].state.terminated.exitCode}`, name)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		code, err := kubectl(ctx, "", "-n", ns, "get", "pod", pod, "-o", jp)
		if err == nil && strings.TrimSpace(code) != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the probe %s in %s/%s did not finish: %v", name, ns, pod, err)
		}
		time.Sleep(time.Second)
	}
	out, err := kubectl(ctx, "", "-n", ns, "logs", pod, "-c", name)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("probe output %q: %v", out, err)
	}
	return res
}

// toJSON turns the flow-style YAML of clientSecurity into JSON.
func toJSON(t *testing.T, flowYAML string) string {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(flowYAML), &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
