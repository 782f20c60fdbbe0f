package graph_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/stacks/config"
	"github.com/ack-platform/ack-platform/stacks/stackfile"
	"github.com/ack-platform/ack-platform/tools/diagram/graph"
)

// repoRoot is the folder holding go.mod and Pulumi.yaml.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := stackfile.WorkingRoot()
	require.NoError(t, err)
	return root
}

// realStacks loads every stack of the repository, the way `make diagram` does.
func realStacks(t *testing.T) []graph.Stack {
	t.Helper()
	stacks, err := graph.LoadStacks(repoRoot(t))
	require.NoError(t, err)
	return stacks
}

// fixtureStacks loads the crafted project in testdata.
func fixtureStacks(t *testing.T) map[string]graph.Stack {
	t.Helper()
	stacks, err := graph.LoadStacks("testdata")
	require.NoError(t, err)
	out := map[string]graph.Stack{}
	for _, s := range stacks {
		out[s.Name] = s
	}
	return out
}

func TestRealStacksAreAllDrawn(t *testing.T) {
	t.Parallel()
	var names []string
	for _, s := range realStacks(t) {
		names = append(names, s.Name)
	}
	assert.Subset(t, names, []string{"dev", "prod", "local"}, "every stack of ARCHITECTURE.md has a diagram")
}

// Every real stack's graph holds exactly the routes and the Nacos edges of
// its config: nothing missing, nothing extra.
func TestRealStacksMatchConfig(t *testing.T) {
	t.Parallel()
	for _, s := range realStacks(t) {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			assertMatchesConfig(t, s.Config, s.Graph)
		})
	}
}

func TestFixtureStacksMatchConfig(t *testing.T) {
	t.Parallel()
	for name, s := range fixtureStacks(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			assertMatchesConfig(t, s.Config, s.Graph)
		})
	}
}

// assertMatchesConfig compares the graph with sets computed straight from
// the resolved config, in both directions, and accounts for every edge.
func assertMatchesConfig(t *testing.T, cfg *config.Config, g *graph.Graph) {
	t.Helper()
	envs := cfg.Workloads.Environments
	require.NotEmpty(t, envs)

	// Expected, from cfg.Workloads.Environments[...].Services only.
	var wantRoutes, wantNacos, wantPods, wantReaches []string
	wantHosts := map[string]bool{}
	wantSelects := 0
	for env, e := range envs {
		for name, s := range e.Services {
			for _, r := range s.Routes {
				wantRoutes = append(wantRoutes, fmt.Sprintf("%s|%s|%s -> %s", env, r.Host, r.Path, name))
				wantHosts[r.Host] = true
			}
			if len(s.Routes) > 0 {
				wantSelects++
			}
			wantPods = append(wantPods, env+"|"+name)
			// Declared calls only: a caller discovers its callees in Nacos.
			if len(s.Calls) > 0 {
				wantNacos = append(wantNacos, env+"|"+name+" discovers nacos")
			}
			for _, callee := range s.Calls {
				wantNacos = append(wantNacos, env+"|"+name+" calls "+callee)
			}
			for _, ep := range s.Endpoints {
				wantReaches = append(wantReaches, env+"|"+name+" reaches "+ep.Name)
			}
			if s.Kind == config.KindBackend {
				wantNacos = append(wantNacos, env+"|"+name+" registers nacos")
			}
		}
	}

	// Actual, from the graph's edges.
	node := func(id string) graph.Node {
		n, ok := g.Node(id)
		require.True(t, ok, "edge endpoint %q is not a node", id)
		return n
	}
	var gotRoutes, gotNacos, gotHosts, gotPods, gotReaches []string
	counts := map[graph.EdgeKind]int{}
	for _, e := range g.Edges {
		counts[e.Kind]++
		from, to := node(e.From), node(e.To)
		switch e.Kind {
		case graph.EdgeRoute:
			assert.Equal(t, graph.KindIngress, from.Kind, "routes leave the ingress controller")
			require.Equal(t, graph.KindService, to.Kind, "route %s%s ends on a Service", e.Host, e.Path)
			assert.Equal(t, e.Host+e.Path, e.Label, "the arrow shows host and path")
			gotRoutes = append(gotRoutes, fmt.Sprintf("%s|%s|%s -> %s", to.Env, e.Host, e.Path, to.Service))
		case graph.EdgeResolves:
			assert.Equal(t, graph.KindDNS, from.Kind)
			assert.Equal(t, graph.IDLoadBalancer, e.To)
			gotHosts = append(gotHosts, from.Lines[0])
		case graph.EdgeSelects:
			assert.Equal(t, graph.KindService, from.Kind)
			assert.Equal(t, graph.PodsID(from.Env, from.Service), e.To, "a Service selects its own pods")
		case graph.EdgeDiscovers, graph.EdgeRegisters:
			require.Equal(t, graph.KindPods, from.Kind)
			require.Equal(t, graph.KindNacos, to.Kind)
			assert.Equal(t, from.Env, to.Env, "pods use the Nacos of their own environment")
			assert.Equal(t, string(e.Kind), e.Label)
			gotNacos = append(gotNacos, fmt.Sprintf("%s|%s %s nacos", from.Env, from.Service, e.Kind))
		case graph.EdgeCalls:
			require.Equal(t, graph.KindPods, from.Kind)
			require.Equal(t, graph.KindPods, to.Kind)
			assert.Equal(t, from.Env, to.Env)
			gotNacos = append(gotNacos, fmt.Sprintf("%s|%s calls %s", from.Env, from.Service, to.Service))
		case graph.EdgeReaches:
			require.Equal(t, graph.KindPods, from.Kind)
			require.Equal(t, graph.KindEndpoint, to.Kind)
			assert.Equal(t, from.Env, to.Env)
			gotReaches = append(gotReaches, fmt.Sprintf("%s|%s reaches %s", from.Env, from.Service, strings.TrimPrefix(to.Lines[0], "endpoint ")))
		}
	}
	for _, n := range g.Nodes {
		if n.Kind == graph.KindPods {
			gotPods = append(gotPods, n.Env+"|"+n.Service)
			s := envs[n.Env].Services[n.Service]
			scale := fmt.Sprintf("replicas %d", s.Replicas)
			if s.Autoscaling != nil {
				scale = fmt.Sprintf("HPA %d–%d", s.Autoscaling.Min, s.Autoscaling.Max)
			}
			label := strings.Join(n.Lines, "\n")
			assert.Contains(t, label, scale, "pods of %s in %s show their scale", n.Service, n.Env)
			if s.Image == "" {
				assert.Contains(t, label, "image "+s.Tag, "pods of %s in %s show their release tag", n.Service, n.Env)
			}
		}
	}

	assert.ElementsMatch(t, wantRoutes, gotRoutes, "ingress routes (host, path → service)")
	assert.ElementsMatch(t, wantNacos, gotNacos, "declared calls, discovery and registration edges")
	assert.ElementsMatch(t, wantReaches, gotReaches, "declared external endpoints")
	assert.ElementsMatch(t, slices.Sorted(maps.Keys(wantHosts)), gotHosts, "DNS names")
	assert.ElementsMatch(t, wantPods, gotPods, "one pods node per service and environment")
	assert.Equal(t, wantSelects, counts[graph.EdgeSelects], "one Service → Pods edge per routed service")
	assert.Equal(t, 1, counts[graph.EdgeForwards], "one SLB → ingress edge")
	assert.Equal(t, 1, counts[graph.EdgePulls], "one registry → cluster edge")

	// The platform: on alicloud every zone, vSwitch and node pool; on local none.
	var groups []string
	for _, grp := range g.Groups {
		groups = append(groups, grp.ID)
	}
	for env := range envs {
		assert.Contains(t, groups, graph.EnvGroup(env))
	}
	if cfg.Target == config.TargetAlicloud {
		p := cfg.Platform
		assert.Contains(t, groups, graph.GroupPlatform)
		assert.NotContains(t, groups, graph.GroupLocal)
		vpc := group(t, g, graph.GroupVPC)
		assert.Contains(t, vpc.Label, p.Network.VpcCidr)
		for i, z := range p.Zones {
			n := node("vsw:nodes:" + z)
			assert.Equal(t, "zone:"+z, n.Group)
			assert.Contains(t, n.Lines, p.Network.NodeVswitchCidrs[i])
		}
		for _, np := range p.NodePools {
			n := node("pool:" + np.Name)
			assert.Contains(t, n.Lines, strings.Join(np.InstanceTypes, " | "))
		}
		assert.Equal(t, len(p.NodePools), counts[graph.EdgeRuns])
		assert.Equal(t, len(p.NodePools)*len(p.Zones), counts[graph.EdgePlaced])
		assert.Contains(t, node(graph.IDLoadBalancer).Lines[0], "SLB")
	} else {
		assert.NotContains(t, groups, graph.GroupPlatform)
		assert.Zero(t, counts[graph.EdgeRuns]+counts[graph.EdgePlaced])
		assert.Equal(t, "local cluster ingress", node(graph.IDLoadBalancer).Lines[0])
	}
	reg := strings.Join(node(graph.IDRegistry).Lines, "\n")
	assert.Contains(t, reg, cfg.Registry.Namespace)
	if cfg.Registry.Endpoint != "" {
		assert.Contains(t, reg, cfg.Registry.Endpoint)
	}

	// Every edge is one of the kinds checked above.
	total := 0
	for _, k := range []graph.EdgeKind{graph.EdgeResolves, graph.EdgeForwards, graph.EdgeRoute, graph.EdgeSelects,
		graph.EdgeDiscovers, graph.EdgeRegisters, graph.EdgeCalls, graph.EdgeReaches, graph.EdgeRuns, graph.EdgePlaced, graph.EdgePulls} {
		total += counts[k]
	}
	assert.Equal(t, len(g.Edges), total, "no edge of an unknown kind")
}

func group(t *testing.T, g *graph.Graph, id string) graph.Group {
	t.Helper()
	for _, grp := range g.Groups {
		if grp.ID == id {
			return grp
		}
	}
	t.Fatalf("no group %q", id)
	return graph.Group{}
}

// The crafted stacks pin what the generic comparison cannot: how hosts,
// extra routes, overrides and the local target are drawn.
func TestFixtureDetails(t *testing.T) {
	t.Parallel()
	stacks := fixtureStacks(t)
	cloud, onprem := stacks["cloud"].Graph, stacks["onprem"].Graph
	require.NotNil(t, cloud)
	require.NotNil(t, onprem)

	label := func(g *graph.Graph, id string) string {
		t.Helper()
		n, ok := g.Node(id)
		require.True(t, ok, "node %s", id)
		return strings.Join(n.Lines, "\n")
	}
	// hosts override the domain; environment routes add hosts.
	for _, h := range []string{"api-test.example.cn", "test.example.cn", "m.example.cn", "api.dev.example.cn", "www.dev.example.cn"} {
		_, ok := cloud.Node(graph.DNSID(h))
		assert.True(t, ok, "DNS name %s", h)
	}
	// An override's full image shows its own tag.
	assert.Contains(t, label(cloud, graph.PodsID("dev", "user-service")), "image hotfix-7")
	// An environment's autoscaling replaces the catalog's; its replicas too.
	assert.Contains(t, label(cloud, graph.PodsID("test", "gateway")), "HPA 1–3 (CPU 60%)")
	assert.Contains(t, label(cloud, graph.PodsID("test", "device-service")), "replicas 3")
	// The namespace, not only the environment name, labels the subgraph.
	assert.Equal(t, "environment test · namespace qa", group(t, cloud, graph.EnvGroup("test")).Label)
	// Backends have no Service node: nothing routes to them.
	_, ok := cloud.Node(graph.ServiceID("dev", "device-service"))
	assert.False(t, ok)
	// A spot pool says so, with its taint.
	assert.Contains(t, label(cloud, "pool:fixed"), "spot instances")
	assert.Contains(t, label(cloud, "pool:fixed"), "taint workload=batch:NoSchedule")
	assert.Contains(t, label(cloud, "pool:fixed"), "label disk=ssd\nlabel workload=batch", "node labels, sorted")

	assert.Equal(t, "local cluster ingress\nports 80, 443", label(onprem, graph.IDLoadBalancer))
	// The alicloud default edge is the ALB Ingress controller.
	assert.Contains(t, label(cloud, graph.IDIngress), "ALB Ingress")
	assert.Contains(t, label(onprem, graph.IDIngress), "class traefik · namespace kube-ingress")
	assert.Equal(t, "Nacos (external)\nnacos.example.com:8848", label(onprem, graph.NacosID("local")))
	assert.Contains(t, label(onprem, graph.IDRegistry), "registry.example.com")
}

func TestBuildIsDeterministic(t *testing.T) {
	t.Parallel()
	for name, s := range fixtureStacks(t) {
		again, err := graph.Build(s.Config)
		require.NoError(t, err)
		assert.Equal(t, s.Graph, again, name)
		assert.Equal(t, graph.Mermaid(s.Graph), graph.Mermaid(again), name)
		assert.Equal(t, graph.DOT(s.Graph), graph.DOT(again), name)
	}
}

func TestBuildRejects(t *testing.T) {
	t.Parallel()
	route := func(host string) *config.Config {
		return &config.Config{
			Stack: "x", Target: config.TargetLocal,
			Workloads: config.Workloads{Environments: map[string]config.Environment{
				"dev": {Namespace: "dev", Services: map[string]config.ServiceSpec{
					"web": {Name: "web", Kind: config.KindFrontend, Tag: "1", Replicas: 1, Routes: []config.HostRoute{{Host: host, Path: "/"}}},
				}},
			}},
		}
	}
	for name, tc := range map[string]struct {
		cfg  *config.Config
		want string
	}{
		"nil config":                {nil, "nil config"},
		"alicloud without platform": {&config.Config{Stack: "x", Target: config.TargetAlicloud}, "no platform"},
		"route without host":        {route(""), "without a host"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := graph.Build(tc.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	g, err := graph.Build(route("www.example.cn"))
	require.NoError(t, err, "the same config with a host builds")
	assert.Len(t, g.Edges, 5, "DNS → SLB → ingress → Service → Pods, registry → cluster")
}

func TestLoadStacksNamesTheBrokenStack(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	copyFile(t, filepath.Join("testdata", "Pulumi.yaml"), filepath.Join(dir, "Pulumi.yaml"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.broken.yaml"), []byte("config:\n  ack-platform:target: moon\n"), 0o644))
	_, err := graph.LoadStacks(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stack broken (Pulumi.broken.yaml)")
	assert.Contains(t, err.Error(), "ack-platform:target")
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, data, 0o644))
}
